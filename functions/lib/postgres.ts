/**
 * The pipeline's PostgreSQL connection: one small pool per process, built at module load and reused by
 * every invocation of a warm function, and the rule that sorts PostgreSQL failures into retryable and not.
 * The stores built on it (`users-store.ts`, `outbox.ts`) expose only what the functions need.
 *
 * The same pool serves the local stack (trust authentication, no TLS) and RDS, where `PG_SECRET_ARN` names a
 * Secrets Manager secret whose password is fetched when a connection opens, and `PGSSLMODE` requires TLS.
 */
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { errorText, isNetworkError, PipelineError } from '../../lib/errors.ts';
import { limits } from '../../lib/topology.ts';
import { ConfigError, TransientError } from './errors.ts';
import { type CredentialsReader, createCredentialsReader } from './secrets.ts';
import type { Config } from './settings.ts';

/** What {@link createPool} reads; without `postgresSecurity` it connects as the local stack expects. */
export type PoolConfig = Pick<Config, 'postgres' | 'service'> &
  Partial<Pick<Config, 'postgresSecurity' | 'secrets'>>;

/**
 * The TLS options of `pg` for a libpq-style mode: none for `disable`; encryption without checking the
 * certificate for `require`; encryption with the certificate checked against the trusted CAs and the host
 * name for `verify-full`. On Lambda the RDS CAs are trusted through `NODE_EXTRA_CA_CERTS` (see serverless.yml).
 */
export function pgSsl(sslMode: Config['postgresSecurity']['sslMode']): false | ConnectionOptions {
  switch (sslMode) {
    case 'disable':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-full':
      return { rejectUnauthorized: true };
  }
}

/**
 * The `password` option of `pg` for a secret: a function that `pg` calls for each new connection, which
 * reads the secret through the reader's cache. Reading per connection, not once at load, lets a pool
 * reconnect with a rotated password.
 *
 * @param secretArn - the secret named by `PG_SECRET_ARN`
 * @param user - `PGUSER`, which must be the secret's `username`
 * @throws (the returned function) {@link ConfigError} naming `PGUSER` when the secret belongs to another user
 */
export function pgPassword(
  secretArn: string,
  user: string | undefined,
  reader: CredentialsReader,
): () => Promise<string> {
  return async () => {
    const { username, password } = await reader.credentials(secretArn, 'PG_SECRET_ARN');
    if (user !== undefined && username !== user) {
      throw new ConfigError('PGUSER differs from the username of the secret named by PG_SECRET_ARN', [
        'PGUSER',
        'PG_SECRET_ARN',
      ]);
    }
    return password;
  };
}

/**
 * Creates the pool for a config. It connects lazily, so building it at load costs nothing and a database
 * that is down, or a secret that cannot be read, fails the invocation, not the cold start.
 *
 * @param reader - where the password comes from when `postgresSecurity.secretArn` is set; by default
 *   Secrets Manager through {@link createCredentialsReader}
 */
export function createPool(config: PoolConfig, reader?: CredentialsReader): pg.Pool {
  const secretArn = config.postgresSecurity?.secretArn;
  const password =
    secretArn === undefined
      ? undefined
      : pgPassword(
          secretArn,
          config.postgres.user,
          reader ??
            createCredentialsReader({
              secrets: config.secrets ?? { maxAgeSeconds: limits.secretsMaxAgeSeconds },
            }),
        );
  const pool = new pg.Pool({
    host: config.postgres.host,
    port: config.postgres.port,
    user: config.postgres.user,
    database: config.postgres.database,
    ...(password === undefined ? {} : { password }),
    ssl: pgSsl(config.postgresSecurity?.sslMode ?? 'disable'),
    application_name: config.service,
    // A Lambda worker runs one invocation at a time; two connections cover a claim plus a side query.
    max: 2,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 60_000,
  });
  // An idle pooled connection that the server or the network drops makes the pool emit 'error'; unhandled,
  // that event ends the whole process (every function of `sls offline start` with it). The pool has already
  // discarded the client, and the next query opens a new connection, whose failure that invocation reports.
  pool.on('error', () => {});
  return pool;
}

// SQLSTATE classes and codes that say "try again": connection exceptions, insufficient resources, operator
// intervention (shutdown, crash recovery), serialization failures and deadlocks, lock timeouts.
const retryableClasses = ['08', '53', '57'];
const retryableCodes = new Set(['40001', '40P01', '55P03']);

/** Whether a failure from `pg` may succeed if the same work is tried again. */
export function isRetryablePostgresError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  if (code !== undefined) {
    if (isNetworkError(error) || retryableCodes.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return retryableClasses.includes(code.slice(0, 2));
  }
  // pg reports lost connections and pool timeouts without a code.
  return /timeout|terminated|connect/i.test(error.message);
}

/** Wraps a `pg` failure in the pipeline's typed errors, keeping the SQLSTATE as the code. */
export function postgresError(what: string, error: unknown): PipelineError {
  // Already sorted, e.g. a secret that could not be read while opening a connection.
  if (error instanceof PipelineError) return error;
  const message = `${what}: ${errorText(error)}`;
  const sqlState =
    error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  if (isRetryablePostgresError(error)) {
    return new TransientError(message, { code: `POSTGRES_${sqlState ?? 'UNAVAILABLE'}`, cause: error });
  }
  return new PipelineError(message, {
    code: `POSTGRES_${sqlState ?? 'FAILED'}`,
    retryable: false,
    cause: error,
  });
}

/**
 * Runs `work` in one transaction on a pooled connection: COMMIT when it resolves, ROLLBACK when it throws.
 *
 * @param begin - the statement that opens the transaction; `BEGIN` followed by `SET LOCAL` settings, in one
 *   string without parameters, opens it with those settings in a single round trip
 * @throws the error of `work`, or a typed error from {@link postgresError} for a failure of the database
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  what: string,
  work: (client: pg.PoolClient) => Promise<T>,
  begin = 'BEGIN',
): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw postgresError(`${what}: cannot connect to PostgreSQL`, error);
  }
  let broken = false;
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch {
      // The connection is gone; the server rolled back already. Drop it from the pool below.
      broken = true;
    }
    throw error instanceof PipelineError ? error : postgresError(what, error);
  } finally {
    client.release(broken);
  }
}
