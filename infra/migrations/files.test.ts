import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChecksumMismatchError, InvalidMigrationFileError, MissingMigrationFileError } from './errors.ts';
import {
  checksumOf,
  loadMigrationFiles,
  type MigrationFile,
  parseAppliedRecords,
  planMigrations,
  splitCqlStatements,
} from './files.ts';
import { migrationsDir } from './migrate.ts';

describe('splitCqlStatements', () => {
  it('splits on semicolons and drops comments and empty statements', () => {
    const script = `-- header
CREATE TABLE a (id int PRIMARY KEY); // trailing
/* block; with a semicolon */ CREATE TABLE b (id int PRIMARY KEY);;
  `;

    expect(splitCqlStatements(script)).toEqual([
      'CREATE TABLE a (id int PRIMARY KEY)',
      'CREATE TABLE b (id int PRIMARY KEY)',
    ]);
  });

  it('keeps semicolons and comment markers inside strings, quoted names and $$ bodies', () => {
    const script = `INSERT INTO t (k, v) VALUES ('a;b -- not a comment', 'it''s; fine');
CREATE TABLE "we;ird" ("x""y" int PRIMARY KEY);
CREATE FUNCTION f (x int) RETURNS NULL ON NULL INPUT RETURNS int LANGUAGE java AS $$ return x; $$;
SELECT * FROM t`;

    expect(splitCqlStatements(script)).toEqual([
      "INSERT INTO t (k, v) VALUES ('a;b -- not a comment', 'it''s; fine')",
      'CREATE TABLE "we;ird" ("x""y" int PRIMARY KEY)',
      'CREATE FUNCTION f (x int) RETURNS NULL ON NULL INPUT RETURNS int LANGUAGE java AS $$ return x; $$',
      'SELECT * FROM t',
    ]);
  });

  it.each([
    ["SELECT 'open;", 'unterminated string at line 1'],
    ['SELECT 1;\n/* open', 'unterminated comment at line 2'],
    ['SELECT "open', 'unterminated quoted identifier at line 1'],
    ['AS $$ open', 'unterminated $$ string at line 1'],
  ])('rejects %j naming the file and line', (script, reason) => {
    expect(() => splitCqlStatements(script, 'x.cql')).toThrow(
      new InvalidMigrationFileError('x.cql', reason).message,
    );
  });
});

describe('checksumOf', () => {
  it('ignores CRLF line endings but not content', () => {
    expect(checksumOf('a\r\nb\r\n')).toBe(checksumOf('a\nb\n'));
    expect(checksumOf('a\nb\n')).not.toBe(checksumOf('a\nb \n'));
  });
});

describe('planMigrations', () => {
  const file = (version: number, name: string, content = name): MigrationFile => ({
    version,
    name,
    file: `dir/${String(version).padStart(4, '0')}_${name}.sql`,
    content,
    checksum: checksumOf(content),
  });
  const files = [file(1, 'one'), file(2, 'two'), file(3, 'three')];
  const record = (f: MigrationFile) => ({ version: f.version, name: f.name, checksum: f.checksum });

  it('returns the unapplied files as pending, in order', () => {
    const plan = planMigrations(files, [record(files[0] as MigrationFile)], 'db');

    expect(plan.present.map((f) => f.version)).toEqual([1]);
    expect(plan.pending.map((f) => f.version)).toEqual([2, 3]);
  });

  it('rejects an applied file whose content changed, naming the file', () => {
    const applied = [{ ...record(files[1] as MigrationFile), checksum: checksumOf('before') }];

    const act = () => planMigrations(files, applied, 'db');

    expect(act).toThrow(ChecksumMismatchError);
    expect(act).toThrow('dir/0002_two.sql');
  });

  it('rejects an applied version whose file is gone or renamed', () => {
    expect(() => planMigrations(files, [{ version: 9, name: 'nine', checksum: 'x' }], 'db')).toThrow(
      MissingMigrationFileError,
    );
    expect(() =>
      planMigrations(files, [{ ...record(files[0] as MigrationFile), name: 'uno' }], 'db'),
    ).toThrow(/applied version 1 under the name uno/);
  });
});

describe('parseAppliedRecords', () => {
  it('keeps well-formed rows and rejects a hand-edited one', () => {
    expect(
      parseAppliedRecords([{ version: 1, name: 'a', checksum: 'c', applied_at: new Date() }], 'db'),
    ).toEqual([{ version: 1, name: 'a', checksum: 'c' }]);
    expect(() => parseAppliedRecords([{ version: '1', name: 'a', checksum: null }], 'db')).toThrow(
      /db: schema_migrations holds a malformed row/,
    );
  });
});

describe('loadMigrationFiles', () => {
  let directory: string | undefined;
  afterEach(async () => {
    if (directory) await rm(directory, { recursive: true });
  });
  const withFiles = async (names: string[]) => {
    directory = await mkdtemp(join(tmpdir(), 'migrations-'));
    for (const name of names) await writeFile(join(directory, name), `-- ${name}\n`);
    return directory;
  };

  it('reads versioned files in order and ignores other extensions', async () => {
    const dir = await withFiles(['0002_b.sql', '0001_a.sql', 'README.md', '0001_x.cql']);

    const files = await loadMigrationFiles(dir, 'sql');

    expect(files.map((f) => [f.version, f.name])).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
  });

  it.each([
    [['1_short.sql'], /the name must look like/],
    [['0001_Upper.sql'], /the name must look like/],
    [['0000_zero.sql'], /versions start at 0001/],
    [['0001_a.sql', '0001_b.sql'], /version 0001 is also used by 0001_a.sql/],
  ])('rejects %j', async (names, message) => {
    const dir = await withFiles(names);

    await expect(loadMigrationFiles(dir, 'sql')).rejects.toThrow(message);
  });
});

describe('the shipped migrations', () => {
  it('load, and every CQL schema statement is idempotent', async () => {
    const sql = await loadMigrationFiles(join(migrationsDir, 'postgres'), 'sql');
    const cql = await loadMigrationFiles(join(migrationsDir, 'cassandra'), 'cql');

    expect(sql.map((f) => f.version)).toEqual(sql.map((_, i) => i + 1));
    expect(cql.map((f) => f.version)).toEqual(cql.map((_, i) => i + 1));
    // Cassandra has no transactions: after a partial failure the whole file runs again.
    const statements = cql.flatMap((f) => splitCqlStatements(f.content, f.file));
    for (const statement of statements.filter((s) => /^(CREATE|DROP|ALTER)\b/i.test(s))) {
      expect(statement).toMatch(/\bIF (NOT )?EXISTS\b/i);
    }
  });
});
