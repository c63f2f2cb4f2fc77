/**
 * The pure half of the runner: reading migration files, checksumming them, splitting CQL into statements, and
 * deciding which files are pending. Nothing here talks to a server, so it is unit-tested on plain strings.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { z } from 'zod';
import { repoRoot } from '../../lib/paths.ts';
import {
  ChecksumMismatchError,
  InvalidMigrationFileError,
  MigrationError,
  MissingMigrationFileError,
} from './errors.ts';

/** One versioned migration file, `NNNN_name.sql` or `NNNN_name.cql`. */
export interface MigrationFile {
  version: number;
  name: string;
  /** Path for messages: relative to the repository root when inside it. */
  file: string;
  content: string;
  checksum: string;
}

/** What a target records for each applied migration. */
export interface AppliedRecord {
  version: number;
  name: string;
  checksum: string;
}

const appliedRecordSchema = z.object({
  version: z.number().int().positive(),
  name: z.string(),
  checksum: z.string(),
});

/**
 * Validates the rows a target returned from its `schema_migrations` table.
 *
 * @throws MigrationError when a row does not have the expected shape (the table was edited by hand).
 */
export function parseAppliedRecords(rows: readonly unknown[], where: string): AppliedRecord[] {
  return rows.map((row) => {
    const parsed = appliedRecordSchema.safeParse(row);
    if (!parsed.success) {
      throw new MigrationError(`${where}: schema_migrations holds a malformed row: ${parsed.error.message}`, {
        cause: parsed.error,
      });
    }
    return parsed.data;
  });
}

/** The files still to apply and those already applied, both in version order. */
export interface MigrationPlan {
  pending: MigrationFile[];
  present: MigrationFile[];
}

const fileNamePattern = /^(\d{4})_([a-z0-9][a-z0-9_]*)\.(sql|cql)$/;

/** A path relative to the repository root when it lies inside it, so messages stay short and clickable. */
export function displayPath(path: string): string {
  const rel = relative(repoRoot, path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/**
 * SHA-256 of a migration's text. Line endings are normalised first so that a Windows checkout
 * (core.autocrlf) does not look like an edited file.
 */
export function checksumOf(content: string): string {
  return createHash('sha256').update(content.replaceAll('\r\n', '\n'), 'utf8').digest('hex');
}

/**
 * Reads every `NNNN_name.<extension>` file of a directory, in version order. Other files (a README) are
 * ignored, but a file with the right extension and a wrong name is an error rather than silently skipped.
 */
export async function loadMigrationFiles(
  directory: string,
  extension: 'sql' | 'cql',
): Promise<MigrationFile[]> {
  const entries = (await readdir(directory, { withFileTypes: true }))
    .filter((e) => e.isFile() && e.name.endsWith(`.${extension}`))
    .map((e) => e.name)
    .sort();
  const files: MigrationFile[] = [];
  const seen = new Map<number, string>();
  for (const entry of entries) {
    const path = join(directory, entry);
    const match = fileNamePattern.exec(entry);
    if (!match?.[1] || !match[2]) {
      throw new InvalidMigrationFileError(
        displayPath(path),
        `the name must look like 0001_create_things.${extension} (four digits, underscore, lower-case words)`,
      );
    }
    const version = Number(match[1]);
    if (version === 0) throw new InvalidMigrationFileError(displayPath(path), 'versions start at 0001');
    const other = seen.get(version);
    if (other !== undefined) {
      throw new InvalidMigrationFileError(displayPath(path), `version ${match[1]} is also used by ${other}`);
    }
    seen.set(version, entry);
    const content = await readFile(path, 'utf8');
    files.push({ version, name: match[2], file: displayPath(path), content, checksum: checksumOf(content) });
  }
  return files;
}

/**
 * Compares the files with what a target recorded. Every applied version must still have its file, under the
 * same name and with the same checksum; anything else is drift and throws before any file is applied.
 *
 * @param where names the target in messages, e.g. `PostgreSQL database pipeline`.
 */
export function planMigrations(
  files: readonly MigrationFile[],
  applied: readonly AppliedRecord[],
  where: string,
): MigrationPlan {
  const byVersion = new Map(files.map((f) => [f.version, f]));
  for (const record of [...applied].sort((a, b) => a.version - b.version)) {
    const file = byVersion.get(record.version);
    if (!file) throw new MissingMigrationFileError(where, record.version, record.name);
    if (file.name !== record.name) {
      throw new InvalidMigrationFileError(
        file.file,
        `${where} applied version ${record.version} under the name ${record.name}; restore that name`,
      );
    }
    if (file.checksum !== record.checksum) {
      throw new ChecksumMismatchError(file.file, file.version, record.checksum, file.checksum);
    }
  }
  const done = new Set(applied.map((r) => r.version));
  return {
    pending: files.filter((f) => !done.has(f.version)),
    present: files.filter((f) => done.has(f.version)),
  };
}

/**
 * Splits a CQL script into statements, since the native protocol executes one statement per request.
 * Semicolons inside 'strings', "quoted identifiers", $$function bodies$$ and comments (`--`, `//`, block)
 * do not end a statement. Comments are dropped, and so are empty statements.
 *
 * @param file names the script in errors.
 */
export function splitCqlStatements(text: string, file = '<cql>'): string[] {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  const lineAt = (index: number) => text.slice(0, index).split('\n').length;
  const push = () => {
    const statement = current.trim();
    if (statement) statements.push(statement);
    current = '';
  };
  while (i < text.length) {
    const ch = text[i];
    const pair = text.slice(i, i + 2);
    if (pair === '--' || pair === '//') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end;
    } else if (pair === '/*') {
      const end = text.indexOf('*/', i + 2);
      if (end === -1) throw new InvalidMigrationFileError(file, `unterminated comment at line ${lineAt(i)}`);
      current += ' ';
      i = end + 2;
    } else if (pair === '$$') {
      const end = text.indexOf('$$', i + 2);
      if (end === -1)
        throw new InvalidMigrationFileError(file, `unterminated $$ string at line ${lineAt(i)}`);
      current += text.slice(i, end + 2);
      i = end + 2;
    } else if (ch === "'" || ch === '"') {
      // A quote inside a literal is written twice ('it''s'), so a doubled quote does not close it.
      let j = i + 1;
      for (;;) {
        const end = text.indexOf(ch, j);
        if (end === -1) {
          const what = ch === "'" ? 'string' : 'quoted identifier';
          throw new InvalidMigrationFileError(file, `unterminated ${what} at line ${lineAt(i)}`);
        }
        if (text[end + 1] === ch) {
          j = end + 2;
          continue;
        }
        current += text.slice(i, end + 1);
        i = end + 1;
        break;
      }
    } else if (ch === ';') {
      push();
      i += 1;
    } else {
      current += ch;
      i += 1;
    }
  }
  push();
  return statements;
}
