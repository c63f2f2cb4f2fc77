/**
 * The raw PostgreSQL baseline: the same users store-users stores, bulk-inserted into scratch copies of
 * `users_raw` and `outbox` (same columns, defaults, constraints and indexes) with the least work that writes
 * the same rows. It is the yardstick for the store stage, whose statement adds `ON CONFLICT DO NOTHING`, a
 * `RETURNING` and a join so that a replayed batch changes nothing.
 *
 * Only the UNNEST method is here: COPY from Node.js needs `pg-copy-streams`, which the project does not
 * depend on (`pg` itself has no COPY FROM STDIN).
 */
import pg from 'pg';
import { z } from 'zod';
import { batchInputParams, batchInputSql } from '../../functions/lib/users-store.ts';
import type { StorableUser } from '../../functions/store-users/core.ts';
import type { Baseline } from '../lib/results.ts';
import { benchBatch } from '../lib/users.ts';
import { BaselineOptionsError, PostgresBaselineError } from './errors.ts';

/** The bulk methods available; `copy` would need `pg-copy-streams` (see the module comment). */
export const postgresBulkMethods = ['unnest'] as const;
export type PostgresBulkMethod = (typeof postgresBulkMethods)[number];

export const postgresBaselineDefaults = {
  method: 'unnest' as PostgresBulkMethod,
  /** Users per transaction: the store's batch (randomuser's page) size. */
  chunkSize: 1000,
  /** The scratch tables are `<prefix>users_raw` and `<prefix>outbox`. */
  tablePrefix: 'bench_',
};

const optionsSchema = z.object({
  /** A pool or a client on a database migrated like the pipeline's (it must hold users_raw and outbox). */
  db: z.union([z.instanceof(pg.Pool), z.instanceof(pg.Client)]),
  users: z
    .array(z.object({ id: z.uuid(), payload: z.string(), message: z.string() }))
    .min(1)
    .refine((users) => new Set(users.map((u) => u.id)).size === users.length, 'user ids must be unique'),
  method: z.enum(postgresBulkMethods).default(postgresBaselineDefaults.method),
  chunkSize: z.number().int().positive().default(postgresBaselineDefaults.chunkSize),
  tablePrefix: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,40}$/, 'a lower-case SQL identifier prefix')
    .default(postgresBaselineDefaults.tablePrefix),
  /** The `batch_id` and `fetched_at` of every row; the benchmark's by default. */
  batchId: z.string().min(1).default(benchBatch.batchId),
  fetchedAt: z.iso.datetime().default(benchBatch.fetchedAt),
});

/** Options of {@link postgresBulkBaseline}. */
export type PostgresBulkBaselineOptions = z.input<typeof optionsSchema>;

/** The scratch tables of a prefix. */
export function scratchTables(prefix: string): { usersRaw: string; outbox: string } {
  return { usersRaw: `${prefix}users_raw`, outbox: `${prefix}outbox` };
}

/**
 * One chunk's statement: both tables from the chunk's rows as the store reads its batch (`batchInputSql`: an
 * UNNEST of the ids zipped with the payloads and messages of two JSON arrays), in one statement, so one round
 * trip and one transaction per chunk. Plain inserts: the scratch tables start empty and the ids are
 * unique, so there is nothing to skip and nothing to return. The outbox columns are filled as the store
 * fills them; with `published`, the outbox rows are also marked published now, as the relay leaves them
 * (the console phase fills the real tables of its run this way, so that the relay's sweep finds nothing to
 * send).
 */
export function unnestInsertSql(
  tables: { usersRaw: string; outbox: string },
  opts: { published?: boolean } = {},
): string {
  const published = opts.published === true;
  return `
WITH input AS (${batchInputSql}), raw AS (
  INSERT INTO ${tables.usersRaw} (id, payload, batch_id, fetched_at)
  SELECT id, payload, $4, $5::timestamptz FROM input
)
INSERT INTO ${tables.outbox} (id, aggregatetype, aggregateid, type, payload${published ? ', published_at' : ''})
SELECT id, 'user', id::text, 'UserCreated', message${published ? ', now()' : ''} FROM input`;
}

/** The parameters of {@link unnestInsertSql} for one chunk: the store's batch input, then the batch's id and time. */
export function unnestInsertParams(
  part: readonly StorableUser[],
  batchId: string,
  fetchedAt: string,
): [string[], string, string, string, string] {
  return [...batchInputParams(part), batchId, fetchedAt];
}

/** Splits `items` into consecutive chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

/**
 * Bulk-inserts `users` (as `storableUsers` builds them) into scratch copies of `users_raw` and `outbox`, in
 * transactions of `chunkSize` users, one after another, and times the inserts.
 *
 * The scratch tables are created `LIKE` the real ones `INCLUDING ALL` (a leftover pair from an interrupted
 * run is dropped first), so every index and constraint the store pays for is paid here too, and they are
 * dropped afterwards, whatever happens. Table creation is not timed.
 *
 * @returns baseline `postgres-bulk`: `records` and `perSecond` count users, each one `users_raw` row plus one
 *   `outbox` row; `recordBytes` is the mean of a user's payload plus message JSON
 * @throws {@link BaselineOptionsError} for invalid options (duplicate ids, say)
 * @throws {@link PostgresBaselineError} when PostgreSQL refuses a statement, e.g. SQLSTATE 42P01 when the
 *   database has no `users_raw` to copy; the driver's error is the cause
 */
export async function postgresBulkBaseline(options: PostgresBulkBaselineOptions): Promise<Baseline> {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw new BaselineOptionsError('postgres-bulk', parsed.error.issues);
  const { db, ...rest } = parsed.data;
  if (!(db instanceof pg.Pool)) return measure(db, rest);
  const client = await db.connect();
  try {
    return await measure(client, rest);
  } finally {
    client.release();
  }
}

/** The run on one connection: scratch tables, timed inserts, and the tables dropped whatever happens. */
async function measure(
  client: pg.ClientBase,
  opts: Omit<z.output<typeof optionsSchema>, 'db'>,
): Promise<Baseline> {
  const { users, method, chunkSize, tablePrefix, batchId, fetchedAt } = opts;
  const tables = scratchTables(tablePrefix);
  const drop = `DROP TABLE IF EXISTS ${tables.usersRaw}, ${tables.outbox}`;
  let outcome: { ok: true; baseline: Baseline } | { ok: false; error: unknown };
  try {
    await run(client, 'create the scratch tables', [
      drop,
      `CREATE TABLE ${tables.usersRaw} (LIKE users_raw INCLUDING ALL)`,
      `CREATE TABLE ${tables.outbox} (LIKE outbox INCLUDING ALL)`,
    ]);
    const sql = unnestInsertSql(tables);
    const chunks = chunk(users, chunkSize);
    const started = performance.now();
    for (const part of chunks) {
      await query(client, 'insert a chunk', sql, unnestInsertParams(part, batchId, fetchedAt));
    }
    const seconds = (performance.now() - started) / 1000;
    outcome = {
      ok: true,
      baseline: {
        id: 'postgres-bulk',
        name: `postgres ${method} bulk insert (users_raw + outbox, ${chunkSize} per transaction)`,
        records: users.length,
        recordBytes: Math.round(users.reduce((sum, u) => sum + userBytes(u), 0) / users.length),
        seconds,
        perSecond: seconds > 0 ? users.length / seconds : 0,
        details: {
          method,
          chunkSize,
          transactions: chunks.length,
          rowsWritten: users.length * 2,
          tables: `${tables.usersRaw}, ${tables.outbox} (LIKE users_raw, outbox INCLUDING ALL)`,
          statement:
            'one INSERT … SELECT into both tables per chunk, from unnest of the ids zipped with jsonb_array_elements of the payloads and messages (as the store); no ON CONFLICT, no RETURNING',
          copy: 'not measured: pg-copy-streams is not installed',
        },
      },
    };
  } catch (error) {
    outcome = { ok: false, error };
  }
  try {
    await run(client, 'drop the scratch tables', [drop]);
  } catch (dropError) {
    // The first failure explains the run; a failed drop after it is most likely the same cause.
    if (outcome.ok) throw dropError;
  }
  if (!outcome.ok) throw outcome.error;
  return outcome.baseline;
}

/** Bytes of a user's `users_raw` payload and outbox message, as JSON text. */
export function userBytes(user: StorableUser): number {
  return Buffer.byteLength(user.payload, 'utf8') + Buffer.byteLength(user.message, 'utf8');
}

async function run(client: pg.ClientBase, what: string, statements: readonly string[]): Promise<void> {
  for (const sql of statements) await query(client, what, sql, []);
}

async function query(client: pg.ClientBase, what: string, sql: string, values: unknown[]): Promise<void> {
  try {
    await client.query(sql, values);
  } catch (error) {
    const sqlState =
      error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : '';
    const message = error instanceof Error ? error.message : String(error);
    throw new PostgresBaselineError(
      `postgres-bulk: cannot ${what}${sqlState ? ` (SQLSTATE ${sqlState})` : ''}: ${message}`,
      {
        code: 'POSTGRES_BASELINE',
        cause: error,
      },
    );
  }
}
