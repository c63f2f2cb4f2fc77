/**
 * Runs the migrations against the real local servers, in a database, keyspace and topics named uniquely for
 * this run (so the shared `pipeline` database and `spark_streams` keyspace are never touched), and drops
 * them afterwards.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFile, cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client as CassandraClient } from 'cassandra-driver';
import { logLevel } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchemaRegistry } from '../../functions/lib/registry.ts';
import { loadStackConfig } from '../../infra/local/config.ts';
import { advisoryLockKey } from '../../infra/local/database.ts';
import { resolvePostgres } from '../../infra/local/endpoints.ts';
import { leaseName } from '../../infra/migrations/cassandra.ts';
import {
  ChecksumMismatchError,
  type MigrateOptions,
  MigrationApplyError,
  MigrationFailedError,
  MigrationLockTimeoutError,
  type MigrationSummary,
  type MigrationTarget,
  migrate,
  migrationsDir,
  migrationTargets,
  ServerUnreachableError,
} from '../../infra/migrations/migrate.ts';
import { kafkaTopics } from '../../infra/migrations/topics.ts';
import { Kafka } from '../../lib/kafkajs.ts';
import { repoRoot } from '../../lib/paths.ts';

const cfg = loadStackConfig();
const pgEndpoint = resolvePostgres(cfg);
const cassandra = new CassandraClient({
  contactPoints: [`${cfg.cassandra.host}:${cfg.cassandra.port}`],
  localDataCenter: cfg.cassandra.localDataCenter,
});
const kafkaAdmin = new Kafka({
  clientId: 'migrations-test',
  brokers: [`${cfg.kafka.host}:${cfg.kafka.port}`],
  logLevel: logLevel.NOTHING,
}).admin();

const sqlFiles = (await readdir(join(migrationsDir, 'postgres'))).filter((f) => f.endsWith('.sql')).sort();
const cqlFiles = (await readdir(join(migrationsDir, 'cassandra'))).filter((f) => f.endsWith('.cql')).sort();

/** Unique names for one isolated run; every one is dropped in afterAll. */
interface Names {
  database: string;
  keyspace: string;
  topics: Array<{ topic: string; numPartitions: number }>;
  options: MigrateOptions;
}
const created: Names[] = [];

function isolatedNames(label: string): Names {
  const id = `${label}_${randomBytes(4).toString('hex')}`;
  const database = `pipeline_test_${id}`;
  const keyspace = `spark_streams_test_${id}`;
  const topics = kafkaTopics.map((t) => ({
    topic: `migrations_test_${id}.${t.topic}`,
    numPartitions: t.numPartitions,
  }));
  const names = {
    database,
    keyspace,
    topics,
    options: { config: cfg, postgres: { database }, cassandra: { keyspace }, kafka: { topics } },
  };
  created.push(names);
  return names;
}

async function withPg<T>(database: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ ...pgEndpoint, database });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function failureOf(promise: Promise<unknown>): Promise<MigrationFailedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof MigrationFailedError))
    throw new Error(`expected a MigrationFailedError, got ${error}`);
  return error;
}

async function partitionCounts(topics: readonly string[]): Promise<Record<string, number>> {
  const metadata = await kafkaAdmin.fetchTopicMetadata({ topics: [...topics] });
  return Object.fromEntries(metadata.topics.map((t) => [t.name, t.partitions.length]));
}

async function pgState(database: string) {
  return withPg(database, async (client) => ({
    migrations: (
      await client.query('SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY 1')
    ).rows,
    columns: (
      await client.query(
        `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
         WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
      )
    ).rows,
    indexes: (await client.query("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"))
      .rows,
  }));
}

async function cassandraState(keyspace: string) {
  const migrations = await cassandra.execute(
    `SELECT version, name, checksum, applied_at FROM ${keyspace}.schema_migrations`,
  );
  const tables = await cassandra.execute(
    'SELECT table_name, id FROM system_schema.tables WHERE keyspace_name = ?',
    [keyspace],
    { prepare: true },
  );
  return {
    migrations: migrations.rows
      .map((r) => {
        const appliedAt: unknown = r.get('applied_at');
        return {
          version: Number(r.get('version')),
          name: String(r.get('name')),
          checksum: String(r.get('checksum')),
          appliedAt: appliedAt instanceof Date ? appliedAt.toISOString() : null,
        };
      })
      .sort((a, b) => a.version - b.version),
    tables: tables.rows.map((r) => `${r.get('table_name')}=${r.get('id')}`).sort(),
  };
}

/** A TCP port on which nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

beforeAll(async () => {
  await Promise.all([cassandra.connect(), kafkaAdmin.connect()]);
});

afterAll(async () => {
  const existing = new Set(await kafkaAdmin.listTopics());
  const topics = created.flatMap((n) => n.topics.map((t) => t.topic)).filter((t) => existing.has(t));
  if (topics.length > 0) await kafkaAdmin.deleteTopics({ topics });
  await withPg('postgres', async (client) => {
    for (const { database } of created)
      await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  });
  for (const { keyspace } of created) await cassandra.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
  await Promise.all([cassandra.shutdown(), kafkaAdmin.disconnect()]);
});

describe('a first and a second run', () => {
  const names = isolatedNames('run');
  let first: MigrationSummary;

  beforeAll(async () => {
    first = await migrate(migrationTargets, names.options);
  });

  it('applies every file and creates the database, keyspace and topics', () => {
    expect(first.changed).toBe(true);
    expect(first.postgres?.databaseCreated).toBe(true);
    expect(first.postgres?.applied.map((m) => m.file.split('/').pop())).toEqual(sqlFiles);
    expect(first.postgres?.present).toEqual([]);
    expect(first.cassandra?.keyspaceCreated).toBe(true);
    expect(first.cassandra?.applied.map((m) => m.file.split('/').pop())).toEqual(cqlFiles);
    expect(first.kafka?.topics).toEqual(
      names.topics.map((t) => ({
        topic: t.topic,
        action: 'created',
        partitions: t.numPartitions,
        required: t.numPartitions,
      })),
    );
  });

  it('creates users_raw, outbox and schema_migrations with the contracted columns', async () => {
    const state = await pgState(names.database);

    const columns = (table: string) =>
      Object.fromEntries(
        state.columns
          .filter((c) => c.table_name === table)
          .map((c) => [c.column_name, `${c.data_type}${c.is_nullable === 'NO' ? ' not null' : ''}`]),
      );
    expect(columns('users_raw')).toEqual({
      id: 'uuid not null',
      payload: 'jsonb not null',
      batch_id: 'text not null',
      fetched_at: 'timestamp with time zone not null',
      stored_at: 'timestamp with time zone not null',
    });
    expect(columns('outbox')).toEqual({
      id: 'uuid not null',
      aggregatetype: 'text not null',
      aggregateid: 'text not null',
      type: 'text not null',
      payload: 'jsonb not null',
      created_at: 'timestamp with time zone not null',
      published_at: 'timestamp with time zone',
      attempts: 'integer not null',
      last_error: 'text',
      dead_at: 'timestamp with time zone',
    });
    expect(Object.keys(columns('schema_migrations'))).toEqual([
      'version',
      'name',
      'checksum',
      'applied_at',
      'execution_ms',
    ]);
    expect(state.migrations.map((m) => `${String(m.version).padStart(4, '0')}_${m.name}.sql`)).toEqual(
      sqlFiles,
    );
    expect(state.indexes.map((i) => i.indexdef)).toContainEqual(
      expect.stringMatching(
        /outbox_unpublished_idx ON public\.outbox USING btree \(created_at, id\) WHERE \(\(published_at IS NULL\) AND \(dead_at IS NULL\)\)/,
      ),
    );
  });

  it('serves the relay claim from the partial index', async () => {
    const plan = await withPg(names.database, async (client) => {
      await client.query('SET enable_seqscan = off');
      const result = await client.query(
        `EXPLAIN SELECT id FROM outbox WHERE published_at IS NULL AND dead_at IS NULL
         ORDER BY created_at, id LIMIT 100 FOR UPDATE SKIP LOCKED`,
      );
      return result.rows.map((r) => String(r['QUERY PLAN'])).join('\n');
    });

    expect(plan).toContain('outbox_unpublished_idx');
  });

  it('creates created_users with the contracted column types', async () => {
    const result = await cassandra.execute(
      'SELECT column_name, type, kind FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?',
      [names.keyspace, 'created_users'],
      { prepare: true },
    );

    const columns = Object.fromEntries(result.rows.map((r) => [r.get('column_name'), r.get('type')]));
    expect(columns).toEqual({
      id: 'uuid',
      first_name: 'text',
      last_name: 'text',
      gender: 'text',
      address: 'text',
      post_code: 'text',
      email: 'text',
      username: 'text',
      dob: 'timestamp',
      registered_date: 'timestamp',
      phone: 'text',
      picture: 'text',
      nationality: 'text',
    });
    const partitionKey = result.rows
      .filter((r) => r.get('kind') === 'partition_key')
      .map((r) => r.get('column_name'));
    expect(partitionKey).toEqual(['id']);
    const state = await cassandraState(names.keyspace);
    expect(state.migrations.map((m) => `${String(m.version).padStart(4, '0')}_${m.name}.cql`)).toEqual(
      cqlFiles,
    );
  });

  it('creates the topics with the configured partition counts', async () => {
    const counts = await partitionCounts(names.topics.map((t) => t.topic));

    expect(Object.values(counts).sort()).toEqual([1, 6]);
    for (const t of names.topics) expect(counts[t.topic]).toBe(t.numPartitions);
  });

  it('applies and changes nothing on a second run', async () => {
    const before = {
      pg: await pgState(names.database),
      cassandra: await cassandraState(names.keyspace),
      kafka: await partitionCounts(names.topics.map((t) => t.topic)),
    };

    const second = await migrate(migrationTargets, names.options);

    expect(second.changed).toBe(false);
    expect(second.postgres).toMatchObject({ databaseCreated: false, applied: [] });
    expect(second.postgres?.present.length).toBe(sqlFiles.length);
    expect(second.cassandra).toMatchObject({ keyspaceCreated: false, applied: [] });
    expect(second.cassandra?.present.length).toBe(cqlFiles.length);
    expect(second.kafka?.topics.map((t) => t.action)).toEqual(names.topics.map(() => 'present'));
    expect({
      pg: await pgState(names.database),
      cassandra: await cassandraState(names.keyspace),
      kafka: await partitionCounts(names.topics.map((t) => t.topic)),
    }).toEqual(before);
  });

  it.each([
    ['postgres', 'sql', '0001_users_raw.sql'],
    ['cassandra', 'cql', '0001_created_users.cql'],
  ] as const)('rejects an applied %s file that was edited, naming it', async (target, ext, file) => {
    const directory = await mkdtemp(join(tmpdir(), `migrations-${ext}-`));
    await cp(join(migrationsDir, target), directory, { recursive: true });
    await appendFile(join(directory, file), '\n-- an innocent-looking edit\n');
    const options: MigrateOptions = {
      ...names.options,
      postgres: { database: names.database, directory },
      cassandra: { keyspace: names.keyspace, directory },
    };

    const error = await failureOf(migrate([target], options));
    await rm(directory, { recursive: true });

    expect(error.failures).toHaveLength(1);
    const cause = error.failures[0]?.error;
    expect(cause).toBeInstanceOf(ChecksumMismatchError);
    expect(String(cause)).toContain(join(directory, file));
    expect(error.message).toContain(file);
    expect(error.retryable).toBe(false);
  });

  it('rolls back a failing PostgreSQL file, keeps earlier ones, and names the file, line and SQLSTATE', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'migrations-sql-'));
    await cp(join(migrationsDir, 'postgres'), directory, { recursive: true });
    const broken = '9999_broken.sql';
    await writeFile(
      join(directory, broken),
      'CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;\n',
    );
    const before = await pgState(names.database);

    const error = await failureOf(
      migrate(['postgres'], { config: cfg, postgres: { database: names.database, directory } }),
    );
    await rm(directory, { recursive: true });

    const cause = error.failures[0]?.error;
    expect(cause).toBeInstanceOf(MigrationApplyError);
    expect(cause).toMatchObject({ serverCode: '42P01' });
    expect(String(cause)).toContain(`${broken} failed at line 2`);
    expect(await pgState(names.database)).toEqual(before);
  });

  it('waits for the PostgreSQL lock of another run, then gives up with a retryable error', async () => {
    const options: MigrateOptions = {
      config: cfg,
      postgres: { database: names.database, lockTimeoutMs: 300 },
    };

    const error = await withPg(names.database, async (holder) => {
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [advisoryLockKey]);
      return failureOf(migrate(['postgres'], options));
    });

    expect(error.failures[0]?.error).toBeInstanceOf(MigrationLockTimeoutError);
    expect(error.retryable).toBe(true);
  });

  it('waits for the Cassandra lease of another run, then gives up naming its owner', async () => {
    await cassandra.execute(
      `INSERT INTO ${names.keyspace}.schema_migrations_lock (name, owner, acquired_at) VALUES (?, ?, ?) USING TTL 60`,
      [leaseName, 'someone-else', new Date()],
      { prepare: true },
    );
    const options: MigrateOptions = {
      config: cfg,
      cassandra: { keyspace: names.keyspace, lockTimeoutMs: 300 },
    };

    const error = await failureOf(migrate(['cassandra'], options));
    await cassandra.execute(
      `DELETE FROM ${names.keyspace}.schema_migrations_lock WHERE name = ?`,
      [leaseName],
      {
        prepare: true,
      },
    );

    expect(error.failures[0]?.error).toBeInstanceOf(MigrationLockTimeoutError);
    expect(error.message).toContain('someone-else');
  });
});

describe('two concurrent runs', () => {
  it('both succeed and apply each migration and create each topic exactly once', async () => {
    const names = isolatedNames('race');

    const runs = await Promise.all([
      migrate(migrationTargets, names.options),
      migrate(migrationTargets, names.options),
    ]);

    const applied = (target: 'postgres' | 'cassandra') =>
      runs.flatMap((r) => r[target]?.applied.map((m) => m.version) ?? []).sort();
    expect(applied('postgres')).toEqual(sqlFiles.map((_, i) => i + 1));
    expect(applied('cassandra')).toEqual(cqlFiles.map((_, i) => i + 1));
    expect(runs.filter((r) => r.postgres?.databaseCreated)).toHaveLength(1);
    const createdTopics = runs.flatMap((r) => r.kafka?.topics.filter((t) => t.action === 'created') ?? []);
    expect(createdTopics.map((t) => t.topic).sort()).toEqual(names.topics.map((t) => t.topic).sort());
    expect((await pgState(names.database)).migrations).toHaveLength(sqlFiles.length);
    expect((await cassandraState(names.keyspace)).migrations).toHaveLength(cqlFiles.length);
  });
});

describe('Kafka partition counts', () => {
  it('grows a topic with too few partitions and never shrinks one with more', async () => {
    const names = isolatedNames('grow');
    const [main, dlq] = names.topics;
    if (!main || !dlq) throw new Error('kafkaTopics lists two topics');
    await kafkaAdmin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: main.topic, numPartitions: 2 },
        { topic: dlq.topic, numPartitions: 3 },
      ],
    });

    const summary = await migrate(['kafka'], names.options);

    expect(summary.kafka?.topics).toEqual([
      { topic: main.topic, action: 'increased', partitions: 6, required: 6, previousPartitions: 2 },
      { topic: dlq.topic, action: 'present', partitions: 3, required: 1 },
    ]);
    expect(await partitionCounts([main.topic, dlq.topic])).toEqual({ [main.topic]: 6, [dlq.topic]: 3 });
  });
});

describe('a topic the migration created or grew', () => {
  const kafka = new Kafka({
    clientId: 'migrations-test-produce',
    brokers: [`${cfg.kafka.host}:${cfg.kafka.port}`],
    logLevel: logLevel.NOTHING,
  });

  /** One send of a record to every partition, by a producer that never retries: a refusal fails it. */
  async function sendToEveryPartition(topic: string, partitions: number): Promise<void> {
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    try {
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: partitions }, (_, partition) => ({ partition, value: 'ready?' })),
      });
    } finally {
      await producer.disconnect();
    }
  }

  // Leaders appear in the metadata before the broker serves as them; right after a bare create, most first
  // sends here were refused with NOT_LEADER_OR_FOLLOWER (16 to 18 topics of 20), and kafkajs's resend of the
  // whole request repeated the partitions that had taken it.
  it('takes a produce to every partition as soon as migrate returns, with no not-leader refusal', async () => {
    for (let round = 0; round < 5; round++) {
      const names = isolatedNames(`ready${round}`);
      const [main] = names.topics;
      if (!main) throw new Error('kafkaTopics lists the main topic first');
      // One topic per run: a second one to create would give the first time to settle.
      await migrate(['kafka'], { ...names.options, kafka: { topics: [main] } });
      await sendToEveryPartition(main.topic, main.numPartitions);
    }
  });

  it('takes a produce to every new partition as soon as migrate has grown the topic', async () => {
    for (let round = 0; round < 3; round++) {
      const names = isolatedNames(`grown${round}`);
      const [main] = names.topics;
      if (!main) throw new Error('kafkaTopics lists the main topic first');
      await kafkaAdmin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: main.topic, numPartitions: 1 }],
      });
      await migrate(['kafka'], { ...names.options, kafka: { topics: [main] } });
      await sendToEveryPartition(main.topic, main.numPartitions);
    }
  });
});

describe('unreachable servers', () => {
  it('fail with the server and port named, and are retryable', async () => {
    const port = await closedPort();
    const options: MigrateOptions = {
      config: cfg,
      postgres: { endpoint: { ...pgEndpoint, port } },
      cassandra: { contactPoints: [`127.0.0.1:${port}`] },
      kafka: { brokers: [`127.0.0.1:${port}`] },
      registry: {
        client: createSchemaRegistry({ url: `http://127.0.0.1:${port}/apis/ccompat/v7` }),
        whenAbsent: 'fail',
      },
    };

    const error = await failureOf(migrate(migrationTargets, options));

    expect(error.failures.map((f) => f.target)).toEqual<MigrationTarget[]>([
      'postgres',
      'cassandra',
      'kafka',
      'registry',
    ]);
    for (const { error: cause } of error.failures) {
      expect(cause).toBeInstanceOf(ServerUnreachableError);
      expect(String(cause)).toContain(`127.0.0.1:${port}`);
    }
    expect(error.message).toMatch(/PostgreSQL .*Cassandra .*Kafka .*Schema Registry /);
    expect(error.retryable).toBe(true);
  });
});

describe('npm run migrate', () => {
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'infra/migrations/cli.ts', ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({
        code: e.code,
        stdout: e.stdout,
        stderr: e.stderr,
      }),
    );

  it('prints one line per selected target', async () => {
    const names = isolatedNames('cli');

    const result = await cli(['--only', 'postgres', '--database', names.database]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`database ${names.database}`);
    expect(result.stdout).toContain('database created; applied 0001_users_raw');
  });

  it("warns under the postgres line exactly when the server's autovacuum is off", async () => {
    const names = isolatedNames('cliav');
    const setting = await withPg('postgres', async (client) => {
      const { rows } = await client.query<{ autovacuum: string }>('SHOW autovacuum');
      return rows[0]?.autovacuum;
    });

    const result = await cli(['--only', 'postgres', '--database', names.database]);

    expect(result.code).toBe(0);
    const warned = result.stdout.includes('postgres   warning: autovacuum is off on this PostgreSQL server');
    expect(warned, `autovacuum is ${setting}`).toBe(setting === 'off');
  });

  it('exits 1 naming the unreachable server and suggesting npm run stack:up', async () => {
    const port = await closedPort();

    const result = await cli(['--only', 'kafka'], { KAFKA_PORT: String(port) });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Kafka is not reachable at 127.0.0.1:${port}`);
    expect(result.stderr).toContain('npm run stack:up');
  });

  it('exits 2 on an unknown target', async () => {
    const result = await cli(['--only', 'mysql']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown target "mysql"');
  });
});
