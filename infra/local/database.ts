/**
 * Creating (and dropping) a PostgreSQL database on the stack's server. `stack:up` creates the database it records
 * in `postgres.json` (as the compose file's POSTGRES_DB does for the Docker twin), so every client of that record
 * can connect as soon as the stack is up, migrated or not, and the Schema Registry's own database before the
 * registry starts; `stack:reset` drops the latter. The migrations create the database they migrate
 * (often a test's own) with these same steps under this same lock, so concurrent runs of either create it
 * once.
 *
 * Why here and not in infra/migrations: the stack needs the step on `up`, and the stack imports no other room
 * of infra/ (test/unit/layering.test.ts), so the step lives with the stack and the migrations import it,
 * wrapping its failures in their own typed errors. Failures here are pg's and the socket's own errors, except
 * in {@link ensureDatabase} and {@link dropDatabase}, the stack's entry points, which report a
 * {@link StackError}.
 */
import { createHash } from 'node:crypto';
import { Client, DatabaseError } from 'pg';
import { errorText } from '../../lib/errors.ts';
import { serviceName } from '../../lib/topology.ts';
import { type PostgresEndpoint, stackConnection } from './endpoints.ts';
import { StackError } from './errors.ts';

/** The database a new database is created through, which every PostgreSQL cluster has from `initdb`. */
export const maintenanceDatabase = 'postgres';

/**
 * Key of the session-level advisory lock under which databases are created and migrated. Advisory locks are
 * scoped to the current database, so runs against different databases never wait for each other.
 */
export const advisoryLockKey = BigInt.asIntN(
  64,
  BigInt(`0x${createHash('sha256').update(`${serviceName}/migrations`).digest('hex').slice(0, 16)}`),
).toString();

/** How long {@link ensureDatabase} waits for the server, and for another run's lock. */
export const databaseDefaults = { connectTimeoutMs: 5_000, lockTimeoutMs: 60_000 } as const;

/** Quotes an SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Connects to `database` on the endpoint's server, or returns 'missing' when the server says it does not exist
 * (SQLSTATE 3D000).
 *
 * @throws what pg or the socket reported, for the caller to classify
 */
export async function connectOrMissing(
  endpoint: PostgresEndpoint,
  database: string,
  options: { connectTimeoutMs: number; applicationName: string },
): Promise<Client | 'missing'> {
  const client = new Client({
    ...stackConnection(endpoint, database),
    connectionTimeoutMillis: options.connectTimeoutMs,
    application_name: options.applicationName,
  });
  // A connection lost while idle is reported by the next query; without a listener it would crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    if (error instanceof DatabaseError && error.code === '3D000') return 'missing';
    throw error;
  }
}

/**
 * Takes the {@link advisoryLockKey} lock for the session, waiting at most `timeoutMs`; ending the session
 * releases it.
 *
 * @throws pg's DatabaseError with SQLSTATE 55P03 when another session held the lock for longer
 */
export async function takeAdvisoryLock(client: Client, timeoutMs: number): Promise<void> {
  // lock_timeout also bounds advisory-lock waits; it is reset so that it never applies to what runs next.
  await client.query("SELECT set_config('lock_timeout', $1, false)", [
    `${Math.max(1, Math.round(timeoutMs))}ms`,
  ]);
  await client.query('SELECT pg_advisory_lock($1::bigint)', [advisoryLockKey]);
  await client.query('RESET lock_timeout');
}

/**
 * Creates `database` unless it exists, through `admin`: a session on the maintenance database that holds the
 * advisory lock. `CREATE DATABASE` cannot run inside a transaction, which is why the lock is the session's.
 *
 * @returns true when this call created it
 */
export async function createDatabaseIfMissing(admin: Client, database: string): Promise<boolean> {
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
  if (exists.rowCount) return false;
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(database)}`);
    return true;
  } catch (error) {
    // 42P04 duplicate_database: created by something that does not take our lock.
    if (error instanceof DatabaseError && error.code === '42P04') return false;
    throw error;
  }
}

/**
 * Creates the endpoint's database when it is missing: what `stack:up` does for the database it records.
 *
 * @returns true when this call created it
 * @throws StackError naming the database and the server when the server refuses or does not answer
 */
export async function ensureDatabase(endpoint: PostgresEndpoint): Promise<boolean> {
  const options = { ...databaseDefaults, applicationName: `${serviceName}-stack` };
  const where = `${endpoint.host}:${endpoint.port}`;
  try {
    const client = await connectOrMissing(endpoint, endpoint.database, options);
    if (client !== 'missing') {
      await client.end();
      return false;
    }
    const admin = await connectOrMissing(endpoint, maintenanceDatabase, options);
    if (admin === 'missing') {
      throw new StackError(
        `cannot create database ${endpoint.database}: the maintenance database ${maintenanceDatabase} ` +
          `does not exist at ${where} either`,
      );
    }
    try {
      await takeAdvisoryLock(admin, options.lockTimeoutMs);
      return await createDatabaseIfMissing(admin, endpoint.database);
    } finally {
      await admin.end().catch(() => undefined);
    }
  } catch (error) {
    if (error instanceof StackError) throw error;
    throw new StackError(`cannot create database ${endpoint.database} at ${where}: ${errorText(error)}`, {
      code: 'DATABASE_CREATE_FAILED',
      cause: error,
    });
  }
}

/**
 * Drops `endpoint.database` when it exists, ending its sessions first (`WITH (FORCE)`, PostgreSQL 13+): what
 * `stack:reset` does to the database of a service whose data lives on the stack's PostgreSQL.
 *
 * @returns true when this call dropped it
 * @throws StackError naming the database and the server when the server refuses or does not answer
 */
export async function dropDatabase(endpoint: PostgresEndpoint): Promise<boolean> {
  const options = { ...databaseDefaults, applicationName: `${serviceName}-stack` };
  const where = `${endpoint.host}:${endpoint.port}`;
  try {
    const admin = await connectOrMissing(endpoint, maintenanceDatabase, options);
    if (admin === 'missing') {
      throw new StackError(
        `cannot drop database ${endpoint.database}: the maintenance database ${maintenanceDatabase} does not ` +
          `exist at ${where}`,
      );
    }
    try {
      await takeAdvisoryLock(admin, options.lockTimeoutMs);
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [endpoint.database]);
      if (!exists.rowCount) return false;
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(endpoint.database)} WITH (FORCE)`);
      return true;
    } finally {
      await admin.end().catch(() => undefined);
    }
  } catch (error) {
    if (error instanceof StackError) throw error;
    throw new StackError(`cannot drop database ${endpoint.database} at ${where}: ${errorText(error)}`, {
      code: 'DATABASE_DROP_FAILED',
      cause: error,
    });
  }
}
