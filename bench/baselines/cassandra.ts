/**
 * The raw Cassandra baseline: the driver's own `concurrent.executeConcurrent` running the prepared INSERT
 * that sink-users runs (`insertUserCql`), on the same rows, through the same kind of client. It is the
 * fastest this machine's Cassandra takes `created_users` rows from Node.js with nothing around the writes,
 * the yardstick for the sink.
 */
import { randomUUID } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { z } from 'zod';
import { type CreatedUserRow, insertUserCql, rowValues } from '../../functions/lib/users-created.ts';
import type { Baseline } from '../lib/results.ts';
import { BaselineOptionsError, CassandraBaselineError } from './errors.ts';

export const cassandraBaselineDefaults = {
  /** In-flight inserts; the driver's default is 100. */
  concurrency: 128,
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
  /** Rows written first, under fresh ids, and left out of the rate; {@link warmupCount} by default. */
  warmupRows: z.number().int().nonnegative().optional(),
});

/** Options of {@link cassandraInsertBaseline}. */
export type CassandraInsertBaselineOptions = z.input<typeof optionsSchema>;

/**
 * Inserts `rows` into `created_users` of the client's keyspace with `executeConcurrent`, at most
 * `concurrency` in flight, and times it.
 *
 * Every insert is prepared (executeConcurrent always prepares) and runs with the client's own query options,
 * so a client from `createCassandraClient` writes at LOCAL_QUORUM, idempotent, as the sink does. Before the
 * timed run, a warm-up writes copies of the first rows under fresh ids: it prepares the statement, opens the
 * connections and warms the JIT without touching the measured rows. The warm-up rows stay in the table;
 * `details.warmupRows` says how many, for a caller that counts rows afterwards.
 *
 * @param options.client - a connected or unconnected client whose keyspace holds `created_users`
 * @returns baseline `cassandra-insert`; `recordBytes` is the mean size of a row's bound values
 * @throws {@link BaselineOptionsError} for invalid options, or a client without a keyspace
 * @throws {@link CassandraBaselineError} when any insert fails (warm-up or timed), with the first failure as
 *   its cause
 */
export async function cassandraInsertBaseline(options: CassandraInsertBaselineOptions): Promise<Baseline> {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw new BaselineOptionsError('cassandra-insert', parsed.error.issues);
  const { client, rows, concurrency } = parsed.data;
  if (!client.keyspace) {
    throw new BaselineOptionsError('cassandra-insert', [
      { path: ['client'], message: 'the client has no keyspace; created_users is not qualified' },
    ]);
  }
  const warmup = warmupRowsFor(rows, parsed.data.warmupRows ?? warmupCount(rows.length), () => randomUUID());

  if (warmup.length > 0) await insertAll(client, warmup, concurrency, 'warm-up');
  const started = performance.now();
  const executed = await insertAll(client, rows, concurrency, 'timed');
  const seconds = (performance.now() - started) / 1000;

  return {
    id: 'cassandra-insert',
    name: `cassandra executeConcurrent prepared INSERT (concurrency ${concurrency})`,
    records: executed,
    recordBytes: Math.round(rows.reduce((sum, row) => sum + boundBytes(row), 0) / rows.length),
    seconds,
    perSecond: seconds > 0 ? executed / seconds : 0,
    details: {
      keyspace: client.keyspace,
      table: 'created_users',
      concurrency,
      warmupRows: warmup.length,
      consistency: consistencyOf(client),
      statement: 'insertUserCql (prepared, one row per statement)',
    },
  };
}

/** Runs the INSERT for every row; resolves with how many succeeded, or throws if any failed. */
async function insertAll(
  client: cassandra.Client,
  rows: readonly CreatedUserRow[],
  concurrency: number,
  phase: string,
): Promise<number> {
  const result = await cassandra.concurrent.executeConcurrent(client, insertUserCql, rows.map(rowValues), {
    concurrencyLevel: concurrency,
    // Collect failures instead of stopping at the first, so the message says how many failed.
    raiseOnFirstError: false,
    maxErrors: cassandraBaselineDefaults.maxErrors,
  });
  const failed = result.errors.length;
  if (failed > 0) {
    const first = result.errors[0];
    throw new CassandraBaselineError(
      `${phase} inserts into created_users failed (${failed}${failed >= cassandraBaselineDefaults.maxErrors ? '+' : ''} ` +
        `of ${rows.length}): ${first instanceof Error ? first.message : String(first)}`,
      { code: 'CASSANDRA_BASELINE_INSERT', cause: first },
    );
  }
  return result.totalExecuted;
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
