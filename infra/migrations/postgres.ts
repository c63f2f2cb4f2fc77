/**
 * Applies `postgres/NNNN_name.sql` to one database: creates the database when missing, then applies each
 * pending file and its `schema_migrations` row in one transaction, all under an advisory lock so that
 * concurrent runs (two `npm test` processes, say) apply each file once and the later run finds nothing to do.
 */
import { type Client, DatabaseError } from 'pg';
import { errorText } from '../../lib/errors.ts';
import { serviceName } from '../../lib/topology.ts';
import {
  connectOrMissing,
  createDatabaseIfMissing,
  maintenanceDatabase,
  takeAdvisoryLock,
} from '../local/database.ts';
import type { PostgresEndpoint } from '../local/endpoints.ts';
import {
  MigrationApplyError,
  MigrationError,
  MigrationLockTimeoutError,
  ServerUnreachableError,
} from './errors.ts';
import { loadMigrationFiles, type MigrationFile, parseAppliedRecords, planMigrations } from './files.ts';
import type { AppliedMigration, MigrationLog, MigrationRef } from './types.ts';

/** Options of `migratePostgres`; `migrate` fills them from the stack config and `postgresDefaults`. */
export interface PostgresMigrationOptions {
  /** Server, user and the database to migrate (created when missing). */
  endpoint: PostgresEndpoint;
  /** Database to connect to when the target database must be created. */
  maintenanceDatabase: string;
  /** Directory of the `NNNN_name.sql` files. */
  directory: string;
  /** How long to wait for another run's lock before giving up. */
  lockTimeoutMs: number;
  connectTimeoutMs: number;
  log: MigrationLog;
}

/** Defaults of the PostgreSQL options that do not depend on the stack config. */
export const postgresDefaults = {
  maintenanceDatabase,
  lockTimeoutMs: 60_000,
  connectTimeoutMs: 5_000,
} as const;

/** What `migratePostgres` did. */
export interface PostgresSummary {
  endpoint: string;
  database: string;
  databaseCreated: boolean;
  applied: AppliedMigration[];
  present: MigrationRef[];
  /** What is wrong with the server for the pipeline, though nothing failed (see {@link autovacuumWarning}). */
  warnings?: string[];
}

const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * Creates the database if missing and applies the pending migration files.
 *
 * @throws ServerUnreachableError when PostgreSQL does not answer.
 * @throws ChecksumMismatchError, MissingMigrationFileError, InvalidMigrationFileError on drift (nothing is applied).
 * @throws MigrationApplyError when a file fails; that file is rolled back, earlier files stay applied.
 */
export async function migratePostgres(options: PostgresMigrationOptions): Promise<PostgresSummary> {
  const { endpoint, log } = options;
  if (!endpoint.database || Buffer.byteLength(endpoint.database) > 63) {
    throw new MigrationError(`invalid PostgreSQL database name "${endpoint.database}" (1 to 63 bytes)`);
  }
  const files = await loadMigrationFiles(options.directory, 'sql');
  const where = `PostgreSQL database ${endpoint.database} at ${endpointOf(endpoint)}`;

  let databaseCreated = false;
  let client = await tryConnect(endpoint, endpoint.database, options.connectTimeoutMs);
  if (client === 'missing') {
    databaseCreated = await createDatabase(options);
    if (databaseCreated) log(`created database ${endpoint.database}`);
    client = await tryConnect(endpoint, endpoint.database, options.connectTimeoutMs);
    if (client === 'missing') throw new MigrationError(`${where} disappeared right after it was created`);
  }

  try {
    await checkEncoding(client, where);
    await lock(client, options.lockTimeoutMs, where);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      execution_ms integer NOT NULL
    )`);
    const recorded = await client.query(
      'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
    );
    const plan = planMigrations(files, parseAppliedRecords(recorded.rows, where), where);
    const applied: AppliedMigration[] = [];
    for (const file of plan.pending) {
      applied.push(await applyFile(client, file));
      log(`applied ${file.file}`);
    }
    const warning = autovacuumWarning(await readAutovacuum(client));
    return {
      endpoint: endpointOf(endpoint),
      database: endpoint.database,
      databaseCreated,
      applied,
      present: plan.present.map(refOf),
      ...(warning === undefined ? {} : { warnings: [warning] }),
    };
  } finally {
    // Ending the session is what releases the session-level advisory lock.
    await client.end().catch(() => undefined);
  }
}

/** The server's `autovacuum` setting (`on` or `off`), which the outbox's own autovacuum settings depend on. */
export async function readAutovacuum(db: Pick<Client, 'query'>): Promise<string | undefined> {
  const { rows } = await db.query<{ autovacuum: string }>('SHOW autovacuum');
  return rows[0]?.autovacuum;
}

/**
 * The warning for a server whose autovacuum is off (a server-wide setting: no table can turn it back on), or
 * undefined. The outbox is a queue: the relay's UPDATE of each row leaves a dead row version behind, and
 * 0003_outbox_autovacuum.sql counts on autovacuum to clear them every 10,000. Without it they pile up for good,
 * and every claim walks them: measured here, the benchmark's one-row poll of the outbox took 9.7 ms (1,627
 * buffers read) with 366,000 dead rows.
 */
export function autovacuumWarning(setting: string | undefined): string | undefined {
  if (setting !== 'off') return undefined;
  return (
    "autovacuum is off on this PostgreSQL server, so the outbox's dead rows (one per relayed user) " +
    "are never cleared and the relay's claims slow down as they pile up: set autovacuum = on in the server's " +
    'configuration, or run VACUUM outbox now and then'
  );
}

function endpointOf(endpoint: PostgresEndpoint): string {
  return `${endpoint.host}:${endpoint.port}`;
}

function refOf(file: MigrationFile): MigrationRef {
  return { version: file.version, name: file.name, file: file.file };
}

/**
 * Connects to `database`, or returns 'missing' when the server says it does not exist (SQLSTATE 3D000).
 *
 * @throws ServerUnreachableError when the server does not answer, MigrationError when it refuses
 */
async function tryConnect(
  endpoint: PostgresEndpoint,
  database: string,
  connectTimeoutMs: number,
): Promise<Client | 'missing'> {
  try {
    return await connectOrMissing(endpoint, database, {
      connectTimeoutMs,
      applicationName: `${serviceName}-migrate`,
    });
  } catch (error) {
    const at = `${endpointOf(endpoint)} (database ${database}, user ${endpoint.user})`;
    // 57P03: the server is starting up or shutting down, which is as good as unreachable for now.
    if (error instanceof DatabaseError ? error.code === '57P03' : isNetworkError(error)) {
      throw new ServerUnreachableError('PostgreSQL', at, error);
    }
    throw new MigrationError(`cannot connect to PostgreSQL at ${at}: ${errorText(error)}`, {
      cause: error,
    });
  }
}

function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if ('code' in error && typeof error.code === 'string' && networkCodes.has(error.code)) return true;
  // pg reports a connect timeout or a dropped socket as a plain Error without a code.
  return /connection (timeout|terminated)/i.test(error.message);
}

type DatabaseOptions = Pick<
  PostgresMigrationOptions,
  'endpoint' | 'maintenanceDatabase' | 'lockTimeoutMs' | 'connectTimeoutMs'
>;

/** Creates the target database through the maintenance database, under the lock, so concurrent runs create it once. */
async function createDatabase(options: DatabaseOptions): Promise<boolean> {
  const { endpoint } = options;
  const admin = await tryConnect(endpoint, options.maintenanceDatabase, options.connectTimeoutMs);
  if (admin === 'missing') {
    throw new MigrationError(
      `cannot create database ${endpoint.database}: the maintenance database ${options.maintenanceDatabase} ` +
        `does not exist at ${endpointOf(endpoint)} either`,
    );
  }
  try {
    await lock(admin, options.lockTimeoutMs, `PostgreSQL database ${options.maintenanceDatabase}`);
    return await createDatabaseIfMissing(admin, endpoint.database);
  } catch (error) {
    if (error instanceof MigrationError) throw error;
    throw new MigrationError(
      `cannot create database ${endpoint.database} at ${endpointOf(endpoint)}: ${errorText(error)}`,
      { cause: error },
    );
  } finally {
    await admin.end().catch(() => undefined);
  }
}

async function lock(client: Client, timeoutMs: number, where: string): Promise<void> {
  try {
    await takeAdvisoryLock(client, timeoutMs);
  } catch (error) {
    if (error instanceof DatabaseError && error.code === '55P03') {
      throw new MigrationLockTimeoutError(
        `another migration run held the lock on ${where} for more than ${timeoutMs} ms; ` +
          'see pg_locks (locktype advisory) for the session holding it',
        error,
      );
    }
    throw error;
  }
}

async function checkEncoding(client: Client, where: string): Promise<void> {
  const result = await client.query<{ server_encoding: string }>('SHOW server_encoding');
  const encoding = result.rows[0]?.server_encoding;
  if (encoding !== 'UTF8') {
    throw new MigrationError(
      `${where} uses encoding ${encoding ?? 'unknown'}; the pipeline stores names in every alphabet and needs UTF8`,
    );
  }
}

async function applyFile(client: Client, file: MigrationFile): Promise<AppliedMigration> {
  const started = performance.now();
  try {
    await client.query('BEGIN');
    // Without parameters pg uses the simple query protocol, which runs a whole multi-statement file.
    await client.query(file.content);
    const durationMs = Math.round(performance.now() - started);
    await client.query(
      'INSERT INTO schema_migrations (version, name, checksum, execution_ms) VALUES ($1, $2, $3, $4)',
      [file.version, file.name, file.checksum, durationMs],
    );
    await client.query('COMMIT');
    return { ...refOf(file), durationMs };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    const code = error instanceof DatabaseError ? error.code : undefined;
    const position =
      error instanceof DatabaseError && error.position ? lineOf(file.content, error.position) : '';
    throw new MigrationApplyError(file.file, position, error, code);
  }
}

/** `at line N` for a 1-based character position reported by PostgreSQL. */
function lineOf(content: string, position: string): string {
  const index = Number(position);
  return Number.isInteger(index) ? `at line ${content.slice(0, index - 1).split('\n').length}` : '';
}
