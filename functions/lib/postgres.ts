/**
 * The pipeline's PostgreSQL connection: one small pool per process, built at module load and reused by
 * every invocation of a warm function, and the rule that sorts PostgreSQL failures into retryable and not.
 * The stores built on it (`users-store.ts`, `outbox.ts`) expose only what the functions need.
 */
import pg from 'pg';
import type { Config } from './config.ts';
import { isNetworkError, messageOf, PipelineError, TransientError } from './errors.ts';

/**
 * Creates the pool for a config. It connects lazily, so building it at load costs nothing and a database
 * that is down fails the invocation, not the cold start.
 */
export function createPool(config: Pick<Config, 'postgres' | 'service'>): pg.Pool {
  return new pg.Pool({
    host: config.postgres.host,
    port: config.postgres.port,
    user: config.postgres.user,
    database: config.postgres.database,
    application_name: config.service,
    // A Lambda worker runs one invocation at a time; two connections cover a claim plus a side query.
    max: 2,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 60_000,
  });
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
  const message = `${what}: ${messageOf(error)}`;
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
 * @throws the error of `work`, or a typed error from {@link postgresError} for a failure of the database
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  what: string,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw postgresError(`${what}: cannot connect to PostgreSQL`, error);
  }
  let broken = false;
  try {
    await client.query('BEGIN');
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
