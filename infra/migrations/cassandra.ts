/**
 * Applies `cassandra/NNNN_name.cql` to one keyspace. The keyspace itself is created here, not by a file,
 * because its replication differs per stage (SimpleStrategy RF 1 locally, NetworkTopologyStrategy or AWS
 * Keyspaces' SingleRegionStrategy elsewhere). Applied versions live in `<keyspace>.schema_migrations`, so
 * dropping the keyspace also forgets them. Cassandra has no transactions: a file is applied statement by
 * statement and recorded at the end, so every statement must be idempotent (IF NOT EXISTS) for the re-run
 * after a partial failure. A lightweight-transaction lease keeps concurrent runs from interleaving.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, errors, types } from 'cassandra-driver';
import { errorText } from '../../lib/errors.ts';
import { cassandra } from '../../lib/topology.ts';
import {
  MigrationApplyError,
  MigrationError,
  MigrationLockTimeoutError,
  SchemaAgreementError,
  ServerUnreachableError,
} from './errors.ts';
import {
  loadMigrationFiles,
  type MigrationFile,
  parseAppliedRecords,
  planMigrations,
  splitCqlStatements,
} from './files.ts';
import type { AppliedMigration, MigrationLog, MigrationRef } from './types.ts';

/** Keyspace replication, as in `CREATE KEYSPACE ... WITH replication = {...}`. */
export interface Replication {
  class: string;
  [option: string]: string | number;
}

/** Options of `migrateCassandra`; `migrate` fills them from the stack config and `cassandraDefaults`. */
export interface CassandraMigrationOptions {
  /** `host:port` of one or more nodes. */
  contactPoints: string[];
  localDataCenter: string;
  keyspace: string;
  replication: Replication;
  /** Directory of the `NNNN_name.cql` files. */
  directory: string;
  credentials?: { username: string; password: string } | undefined;
  /** How long to wait for another run's lease before giving up; longer than the lease so a dead run's expires. */
  lockTimeoutMs: number;
  /** Lifetime of the lease, after which a crashed run no longer blocks anyone. */
  lockTtlSeconds: number;
  schemaAgreementTimeoutMs: number;
  connectTimeoutMs: number;
  log: MigrationLog;
}

/** Defaults of the Cassandra options that do not depend on the stack config. */
export const cassandraDefaults = {
  keyspace: cassandra.keyspace,
  replication: { class: 'SimpleStrategy', replication_factor: 1 },
  lockTimeoutMs: 150_000,
  lockTtlSeconds: 120,
  schemaAgreementTimeoutMs: 30_000,
  connectTimeoutMs: 5_000,
} as const satisfies Partial<CassandraMigrationOptions>;

/** What `migrateCassandra` did. */
export interface CassandraSummary {
  endpoint: string;
  keyspace: string;
  keyspaceCreated: boolean;
  applied: AppliedMigration[];
  present: MigrationRef[];
}

const keyspacePattern = /^[a-z][a-z0-9_]{0,47}$/;
/** Key of the lease row in `<keyspace>.schema_migrations_lock`. */
export const leaseName = 'migrate';
const ddlTimeoutMs = 60_000;
const quorum = { consistency: types.consistencies.localQuorum } as const;

/** The CQL map literal of a replication setting. */
export function renderReplication(replication: Replication): string {
  const quote = (value: string | number) => `'${String(value).replaceAll("'", "''")}'`;
  const entries = Object.entries(replication).map(([key, value]) => `${quote(key)}: ${quote(value)}`);
  return `{${entries.join(', ')}}`;
}

/**
 * Creates the keyspace if missing and applies the pending migration files.
 *
 * @throws ServerUnreachableError when no contact point answers.
 * @throws ChecksumMismatchError, MissingMigrationFileError, InvalidMigrationFileError on drift (nothing is applied).
 * @throws MigrationApplyError when a statement fails; statements before it stay applied and the file is not
 *   recorded, so the next run replays it.
 */
export async function migrateCassandra(options: CassandraMigrationOptions): Promise<CassandraSummary> {
  const { keyspace, log } = options;
  if (!keyspacePattern.test(keyspace)) {
    throw new MigrationError(
      `invalid keyspace name "${keyspace}": use 1 to 48 lower-case letters, digits and underscores`,
    );
  }
  const files = await loadMigrationFiles(options.directory, 'cql');
  // Split every file before touching the server, so a syntax slip in file 3 does not leave files 1-2 applied.
  const scripts = new Map(files.map((f) => [f.version, splitCqlStatements(f.content, f.file)]));
  const endpoint = options.contactPoints.join(',');
  const where = `Cassandra keyspace ${keyspace} at ${endpoint}`;

  const admin = await connect(options, undefined);
  let session: Client | undefined;
  try {
    const existing = await admin.execute(
      'SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?',
      [keyspace],
      { prepare: true },
    );
    await ddl(
      admin,
      `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = ${renderReplication(options.replication)}`,
      options,
    );
    const keyspaceCreated = existing.rowLength === 0;
    if (keyspaceCreated) log(`created keyspace ${keyspace}`);

    session = await connect(options, keyspace);
    await ddl(
      session,
      `CREATE TABLE IF NOT EXISTS schema_migrations (
        version int PRIMARY KEY, name text, checksum text, applied_at timestamp, execution_ms int)`,
      options,
    );
    await ddl(
      session,
      'CREATE TABLE IF NOT EXISTS schema_migrations_lock (name text PRIMARY KEY, owner text, acquired_at timestamp)',
      options,
    );

    const release = await acquireLease(session, options, where);
    try {
      const recorded = await session.execute(
        'SELECT version, name, checksum FROM schema_migrations',
        [],
        quorum,
      );
      const rows = recorded.rows.map((r) => ({
        version: r.get('version'),
        name: r.get('name'),
        checksum: r.get('checksum'),
      }));
      const plan = planMigrations(files, parseAppliedRecords(rows, where), where);
      const applied: AppliedMigration[] = [];
      for (const file of plan.pending) {
        applied.push(await applyFile(session, file, scripts.get(file.version) ?? [], options));
        log(`applied ${file.file}`);
      }
      return { endpoint, keyspace, keyspaceCreated, applied, present: plan.present.map(refOf) };
    } finally {
      await release();
    }
  } finally {
    await Promise.all([admin.shutdown(), session?.shutdown()].map((p) => p?.catch(() => undefined)));
  }
}

function refOf(file: MigrationFile): MigrationRef {
  return { version: file.version, name: file.name, file: file.file };
}

async function connect(options: CassandraMigrationOptions, keyspace: string | undefined): Promise<Client> {
  const client = new Client({
    contactPoints: options.contactPoints,
    localDataCenter: options.localDataCenter,
    ...(keyspace === undefined ? {} : { keyspace }),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    socketOptions: { connectTimeout: options.connectTimeoutMs },
  });
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.shutdown().catch(() => undefined);
    const endpoint = options.contactPoints.join(',');
    if (error instanceof errors.NoHostAvailableError || error instanceof errors.OperationTimedOutError) {
      throw new ServerUnreachableError('Cassandra', endpoint, error);
    }
    throw new MigrationError(`cannot connect to Cassandra at ${endpoint}: ${errorText(error)}`, {
      cause: error,
    });
  }
}

/** Runs a schema change and waits until every node that is up reports the same schema version. */
async function ddl(client: Client, statement: string, options: CassandraMigrationOptions): Promise<void> {
  await client.execute(statement, [], { readTimeout: ddlTimeoutMs });
  await waitForSchemaAgreement(client, options.schemaAgreementTimeoutMs);
}

/**
 * The driver already waits up to `maxSchemaAgreementWaitSeconds` after a schema change, but gives up
 * silently; the next statement could then hit a node that does not know the new table yet.
 */
async function waitForSchemaAgreement(client: Client, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const versions = new Map<string, string>();
    for (const host of client.hosts.values()) {
      if (!host.isUp()) continue;
      // system.local is node-local, hence the explicit host.
      const result = await client.execute('SELECT schema_version FROM system.local', [], { host });
      const version: unknown = result.first()?.get('schema_version');
      versions.set(host.address, String(version));
    }
    if (new Set(versions.values()).size <= 1) return;
    if (Date.now() >= deadline) {
      const detail = [...versions].map(([host, version]) => `${host}=${version}`).join(', ');
      throw new SchemaAgreementError(
        `Cassandra nodes disagree on the schema after ${timeoutMs} ms: ${detail}`,
      );
    }
    await sleep(200);
  }
}

/** Takes the lease row with a lightweight transaction and returns the function that gives it back. */
async function acquireLease(
  session: Client,
  options: CassandraMigrationOptions,
  where: string,
): Promise<() => Promise<void>> {
  const owner = randomUUID();
  const lwt = { ...quorum, prepare: true, serialConsistency: types.consistencies.localSerial } as const;
  const deadline = Date.now() + options.lockTimeoutMs;
  let delay = 100;
  for (;;) {
    const result = await session.execute(
      'INSERT INTO schema_migrations_lock (name, owner, acquired_at) VALUES (?, ?, toTimestamp(now())) ' +
        'IF NOT EXISTS USING TTL ?',
      [leaseName, owner, options.lockTtlSeconds],
      lwt,
    );
    if (result.wasApplied()) break;
    if (Date.now() + delay > deadline) {
      const holder: unknown = result.first()?.get('owner');
      const since: unknown = result.first()?.get('acquired_at');
      throw new MigrationLockTimeoutError(
        `another migration run (${String(holder)}, since ${since instanceof Date ? since.toISOString() : '?'}) ` +
          `held the lease on ${where} for more than ${options.lockTimeoutMs} ms; ` +
          `it expires ${options.lockTtlSeconds} s after it was taken`,
      );
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 1_000);
  }
  return async () => {
    try {
      await session.execute(
        'DELETE FROM schema_migrations_lock WHERE name = ? IF owner = ?',
        [leaseName, owner],
        lwt,
      );
    } catch (error) {
      // Not fatal: the lease expires by itself, and throwing here would hide the run's own outcome.
      options.log(`could not release the lease on ${where} (it expires by itself): ${errorText(error)}`);
    }
  };
}

async function applyFile(
  session: Client,
  file: MigrationFile,
  statements: readonly string[],
  options: CassandraMigrationOptions,
): Promise<AppliedMigration> {
  const started = performance.now();
  for (const [index, statement] of statements.entries()) {
    try {
      await ddl(session, statement, options);
    } catch (error) {
      if (error instanceof SchemaAgreementError) throw error;
      const code = error instanceof errors.ResponseError ? `0x${error.code.toString(16)}` : undefined;
      const head = statement.split('\n')[0]?.slice(0, 60) ?? '';
      throw new MigrationApplyError(file.file, `at statement ${index + 1} (${head})`, error, code);
    }
  }
  const durationMs = Math.round(performance.now() - started);
  await session.execute(
    'INSERT INTO schema_migrations (version, name, checksum, applied_at, execution_ms) VALUES (?, ?, ?, ?, ?)',
    [file.version, file.name, file.checksum, new Date(), durationMs],
    { ...quorum, prepare: true },
  );
  return { ...refOf(file), durationMs };
}
