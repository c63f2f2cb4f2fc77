/**
 * The raw Cassandra baselines: the driver's own `concurrent.executeConcurrent` running the prepared INSERT
 * that sink-users runs (`insertUserCql`), on the same rows, through the same kind of client
 * (`cassandra-insert`). It is the fastest this machine's Cassandra takes `created_users` rows from Node.js
 * one row per statement with nothing around the writes, the yardstick for the sink. With `batchSize` above 1
 * the same loop writes the rows as unlogged batches of that many (`cassandra-batch`), as the sink does with
 * `CASSANDRA_BATCH_SIZE`, so the sink can also be set beside a raw loop that writes the way it writes.
 */
import { randomUUID } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { z } from 'zod';
import { keyspacesMaxBatch } from '../../functions/lib/settings.ts';
import { type CreatedUserRow, insertUserCql, rowValues } from '../../functions/lib/users-created.ts';
import { planBatches, settleConcurrently } from '../../functions/sink-users/sink.ts';
import type { Baseline, Stage } from '../lib/results.ts';
import { BaselineOptionsError, CassandraBaselineError } from './errors.ts';

/** The ids of the two loops: one row per statement, and unlogged batches. */
export const cassandraBaselineIds = { insert: 'cassandra-insert', batch: 'cassandra-batch' } as const;

export const cassandraBaselineDefaults = {
  /** In-flight statements (rows, or batches); the driver's default is 100. */
  concurrency: 128,
  /** Rows per statement: 1, each row on its own (`cassandra-insert`). */
  batchSize: 1,
  /** Warm-up rows: 2% of the rows, at least 200, never more than the rows. */
  warmupFraction: 0.02,
  minWarmupRows: 200,
  /** Failures kept for the error message; the first is its cause. */
  maxErrors: 10,
};

const optionsSchema = z.object({
  client: z.instanceof(cassandra.Client),
  rows: z
    .array(z.custom<CreatedUserRow>((row) => typeof row === 'object' && row !== null && 'id' in row))
    .min(1),
  concurrency: z.number().int().positive().default(cassandraBaselineDefaults.concurrency),
  /** Rows per unlogged batch, at most Keyspaces' limit as for the sink; 1: one row per statement. */
  batchSize: z.number().int().min(1).max(keyspacesMaxBatch).default(cassandraBaselineDefaults.batchSize),
  /** Rows written first, under fresh ids, and left out of the rate; {@link warmupCount} by default. */
  warmupRows: z.number().int().nonnegative().optional(),
});

/** Options of {@link cassandraInsertBaseline}. */
export type CassandraInsertBaselineOptions = z.input<typeof optionsSchema>;

/**
 * Inserts `rows` into `created_users` of the client's keyspace with `executeConcurrent`, at most
 * `concurrency` in flight, and times it; with `batchSize` above 1, as unlogged batches of that many rows
 * (`client.batch`, prepared, grouped as the sink groups them by `planBatches`), at most `concurrency`
 * batches in flight.
 *
 * Every insert is prepared (executeConcurrent always prepares) and runs with the client's own query options,
 * so a client from `createCassandraClient` writes at LOCAL_QUORUM, idempotent, as the sink does. Before the
 * timed run, a warm-up writes copies of the first rows under fresh ids: it prepares the statement, opens the
 * connections and warms the JIT without touching the measured rows. The warm-up rows stay in the table;
 * `details.warmupRows` says how many, for a caller that counts rows afterwards.
 *
 * @param options.client - a connected or unconnected client whose keyspace holds `created_users`
 * @returns baseline `cassandra-insert`, or `cassandra-batch` with `batchSize` above 1; `records` counts rows
 *   either way, and `recordBytes` is the mean size of a row's bound values
 * @throws {@link BaselineOptionsError} for invalid options, or a client without a keyspace
 * @throws {@link CassandraBaselineError} when any insert fails (warm-up or timed), with the first failure as
 *   its cause
 */
export async function cassandraInsertBaseline(options: CassandraInsertBaselineOptions): Promise<Baseline> {
  const parsed = optionsSchema.safeParse(options);
  const id =
    options.batchSize !== undefined && options.batchSize > 1
      ? cassandraBaselineIds.batch
      : cassandraBaselineIds.insert;
  if (!parsed.success) throw new BaselineOptionsError(id, parsed.error.issues);
  const { client, rows, concurrency, batchSize } = parsed.data;
  if (!client.keyspace) {
    throw new BaselineOptionsError(id, [
      { path: ['client'], message: 'the client has no keyspace; created_users is not qualified' },
    ]);
  }
  const warmup = warmupRowsFor(rows, parsed.data.warmupRows ?? warmupCount(rows.length), () => randomUUID());

  const write = batchSize > 1 ? batchAll : insertAll;
  if (warmup.length > 0) await write(client, warmup, { concurrency, batchSize, phase: 'warm-up' });
  const started = performance.now();
  const executed = await write(client, rows, { concurrency, batchSize, phase: 'timed' });
  const seconds = (performance.now() - started) / 1000;

  return {
    id,
    name:
      batchSize > 1
        ? `cassandra unlogged batches of ${batchSize} of the prepared INSERT (concurrency ${concurrency} batches)`
        : `cassandra executeConcurrent prepared INSERT (concurrency ${concurrency})`,
    records: executed,
    recordBytes: Math.round(rows.reduce((sum, row) => sum + boundBytes(row), 0) / rows.length),
    seconds,
    perSecond: seconds > 0 ? executed / seconds : 0,
    details: {
      keyspace: client.keyspace,
      table: 'created_users',
      concurrency,
      batchSize,
      warmupRows: warmup.length,
      consistency: consistencyOf(client),
      statement:
        batchSize > 1
          ? `insertUserCql (prepared, unlogged batches of ${batchSize} rows)`
          : 'insertUserCql (prepared, one row per statement)',
    },
  };
}

interface WriteOptions {
  concurrency: number;
  batchSize: number;
  phase: string;
}

/** Runs the INSERT for every row; resolves with how many succeeded, or throws if any failed. */
async function insertAll(
  client: cassandra.Client,
  rows: readonly CreatedUserRow[],
  { concurrency, phase }: WriteOptions,
): Promise<number> {
  const result = await cassandra.concurrent.executeConcurrent(client, insertUserCql, rows.map(rowValues), {
    concurrencyLevel: concurrency,
    // Collect failures instead of stopping at the first, so the message says how many failed.
    raiseOnFirstError: false,
    maxErrors: cassandraBaselineDefaults.maxErrors,
  });
  throwIfFailed(result.errors, { phase, what: 'inserts', of: rows.length });
  return result.totalExecuted;
}

/**
 * Writes the rows as unlogged batches of `batchSize`, at most `concurrency` batches in flight (the sink's own
 * pool, since the driver's `executeConcurrent` runs single statements only); resolves with how many rows were
 * written, or throws if any batch failed, after trying every batch as executeConcurrent does.
 */
async function batchAll(
  client: cassandra.Client,
  rows: readonly CreatedUserRow[],
  { concurrency, batchSize, phase }: WriteOptions,
): Promise<number> {
  const groups = planBatches(rows.length, batchSize);
  const outcomes = await settleConcurrently(groups, concurrency, (group) =>
    client.batch(
      group.map((i) => ({ query: insertUserCql, params: rowValues(rows[i] as CreatedUserRow) })),
      { prepare: true, logged: false },
    ),
  );
  const failures = outcomes.filter((o): o is Error => o instanceof Error);
  const errors = failures.slice(0, cassandraBaselineDefaults.maxErrors);
  const failed = failures.length;
  const written = groups.reduce(
    (sum, group, g) => sum + (outcomes[g] instanceof Error ? 0 : group.length),
    0,
  );
  throwIfFailed(errors, { phase, what: 'batches', of: groups.length, failed });
  return written;
}

/**
 * Throws a {@link CassandraBaselineError} when there are `errors` (the first `maxErrors` failures), with the
 * first as its cause; `failed` is the full count when it is known, else the message says "N+".
 */
function throwIfFailed(
  errors: readonly unknown[],
  { phase, what, of, failed }: { phase: string; what: string; of: number; failed?: number },
): void {
  if (errors.length === 0) return;
  const first = errors[0];
  const count =
    failed ?? `${errors.length}${errors.length >= cassandraBaselineDefaults.maxErrors ? '+' : ''}`;
  throw new CassandraBaselineError(
    `${phase} ${what} into created_users failed (${count} of ${of}): ` +
      `${first instanceof Error ? first.message : String(first)}`,
    { code: 'CASSANDRA_BASELINE_INSERT', cause: first },
  );
}

/** Warm-up rows for `rows` rows: 2% of them, at least 200, never more than there are. */
export function warmupCount(rows: number): number {
  const { warmupFraction, minWarmupRows } = cassandraBaselineDefaults;
  return Math.min(rows, Math.max(minWarmupRows, Math.ceil(rows * warmupFraction)));
}

/**
 * The warm-up's rows: copies of the first `count` rows (cycling if there are fewer), each under an id from
 * `newId`, so the warm-up never writes a measured row and the timed run inserts every row fresh.
 */
export function warmupRowsFor(
  rows: readonly CreatedUserRow[],
  count: number,
  newId: () => string,
): CreatedUserRow[] {
  if (rows.length === 0) return [];
  return Array.from({ length: count }, (_, i) => ({
    ...(rows[i % rows.length] as CreatedUserRow),
    id: newId(),
  }));
}

/**
 * Approximate bytes of a row's bound values on the wire: UTF-8 text, 16 for the uuid id, 8 per timestamp.
 * A like-for-like size to set beside the Kafka record's, not an exact protocol count.
 */
export function boundBytes(row: CreatedUserRow): number {
  let bytes = 0;
  for (const value of rowValues(row)) {
    if (value instanceof Date) bytes += 8;
    else bytes += Buffer.byteLength(value, 'utf8');
  }
  // The id is bound as a uuid (16 bytes), not as its 36-character text.
  return bytes - Buffer.byteLength(row.id, 'utf8') + 16;
}

// The driver keeps its resolved options on the client without typing them; read the one field by schema.
const clientOptionsSchema = z.object({
  options: z.object({ queryOptions: z.object({ consistency: z.number().optional() }).optional() }),
});

/** The client's default consistency by name (`localQuorum`); set once the client has connected. */
function consistencyOf(client: cassandra.Client): string {
  const parsed = clientOptionsSchema.safeParse(client);
  const consistency = parsed.success ? parsed.data.options.queryOptions?.consistency : undefined;
  if (consistency === undefined) return 'unknown';
  const name = Object.entries(cassandra.types.consistencies).find(([, value]) => value === consistency)?.[0];
  return name ?? String(consistency);
}

/**
 * A stage's rate ÷ the batched loop's (`cassandra-batch`), with the loop's batch size; undefined when the
 * run has no such loop (the sink wrote single rows) or it measured no rate.
 */
export function batchRatioOf(stage: Stage, baselines: readonly Baseline[]): Stage['batchRatio'] {
  const batched = baselines.find((b) => b.id === cassandraBaselineIds.batch);
  const batchSize = batched?.details.batchSize;
  if (batched === undefined || batched.perSecond <= 0 || typeof batchSize !== 'number' || batchSize < 2) {
    return undefined;
  }
  return { baseline: batched.id, batchSize, ratio: stage.perSecond / batched.perSecond };
}
