/**
 * sink-users' write policy: {@link UserSink}, the only thing the functions do with Cassandra (upsert
 * `created_users` rows), over a driver client from functions/lib/cassandra.ts. Rows are written with bounded
 * concurrency, one statement each or in unlogged batches of at most 30 (Amazon Keyspaces' limit), and a
 * throttled write is tried again after a backoff. Driver failures are sorted into transient ones (rethrown
 * as {@link TransientError}, so the event source retries the whole batch; never dead-lettered), statement
 * ones (the invocation fails; nothing is dead-lettered) and row ones, which the sink reports per row for the
 * handler to dead-letter.
 */
import cassandra from 'cassandra-driver';
import { errorText, isNetworkError, PipelineError } from '../../lib/errors.ts';
import { TransientError } from '../lib/errors.ts';
import { type RetryClock, retryDelay, systemClock } from '../lib/retry.ts';
import { keyspacesMaxBatch } from '../lib/settings.ts';
import { type CreatedUserRow, insertUserCql, rowValues } from '../lib/users-created.ts';

const { errors, types } = cassandra;
const codes = types.responseErrorCodes;

/** A row Cassandra refused for good, by its position in the rows given to {@link UserSink.upsert}. */
export interface RowFailure {
  index: number;
  id: string;
  error: CassandraWriteError;
}

/** The result of an upsert that did not fail as a whole. */
export interface UpsertOutcome {
  /** How many rows Cassandra acknowledged. */
  written: number;
  /** The rows Cassandra refused for a reason that no retry fixes, to be dead-lettered. */
  failures: RowFailure[];
}

/** Writes `created_users` rows. */
export interface UserSink {
  /**
   * Upserts `rows` concurrently, each keyed by id, so writing a row again leaves the same row.
   *
   * @returns how many rows were written, and the rows refused for good
   * @throws {@link TransientError} when any row failed for a transient reason (Cassandra down, timeouts,
   *   overload); none of the rows may then be reported as failed for good
   * @throws {@link CassandraStatementError} when the statement itself is refused (schema, permissions), so
   *   every row would fail the same way
   */
  upsert(rows: readonly CreatedUserRow[]): Promise<UpsertOutcome>;
}

/** Cassandra refused one row, and will refuse it again. Not retryable. */
export class CassandraWriteError extends PipelineError {
  override readonly name: string = 'CassandraWriteError';

  constructor(message: string, options: { code: string; cause?: unknown }) {
    super(message, { ...options, retryable: false });
  }
}

/**
 * Cassandra refused the statement rather than a row: a missing table or column, a syntax error, missing
 * permissions. Not retryable, and not a reason to dead-letter anything: the deployment must be fixed, and
 * until then the invocation fails and the event source keeps the records.
 */
export class CassandraStatementError extends PipelineError {
  override readonly name: string = 'CassandraStatementError';

  constructor(message: string, options: { code: string; cause?: unknown }) {
    super(message, { ...options, retryable: false });
  }
}

/** How a driver failure is handled: retry the batch, fail the invocation, or dead-letter the row. */
export type CassandraFailureKind = 'transient' | 'statement' | 'row';

// Server errors that say "not now" rather than "not this": replicas down or slow, coordinator overloaded or
// starting, a truncate in progress, a replica failing the write, or a statement the node forgot.
const transientCodes = new Set<number>([
  codes.serverError,
  codes.unavailableException,
  codes.overloaded,
  codes.isBootstrapping,
  codes.truncateError,
  codes.writeTimeout,
  codes.readTimeout,
  codes.writeFailure,
  codes.readFailure,
  codes.unprepared,
]);

// Server errors about the statement or the session, which every row would get.
const statementCodes = new Set<number>([
  codes.protocolError,
  codes.badCredentials,
  codes.syntaxError,
  codes.unauthorized,
  codes.configError,
  codes.alreadyExists,
]);

const schemaProblem = /unconfigured table|keyspace .* does not exist|undefined column|unknown identifier/i;

/**
 * Sorts a failure of the driver.
 *
 * - `transient`: no host reachable, client timeouts, busy connections, socket errors, and the server's
 *   unavailable, timeout, overloaded, bootstrapping, truncate, read/write failure, server and unprepared
 *   errors.
 * - `statement`: the server's syntax, unauthorized, config, already-exists, protocol and credentials errors,
 *   and the driver's authentication, argument, not-supported and internal errors.
 * - `row`: anything else, such as the server's invalid-request error for a row's values or the driver
 *   refusing to encode a value.
 */
export function classifyCassandraError(error: unknown): CassandraFailureKind {
  if (
    error instanceof errors.NoHostAvailableError ||
    error instanceof errors.OperationTimedOutError ||
    error instanceof errors.BusyConnectionError
  ) {
    return 'transient';
  }
  if (error instanceof errors.ResponseError) {
    if (transientCodes.has(error.code)) return 'transient';
    if (statementCodes.has(error.code)) return 'statement';
    // A missing table, keyspace or column fails every row with the same "invalid request" that a bad value
    // fails one row with; only the message tells them apart.
    if (error.code === codes.invalid && schemaProblem.test(error.message)) return 'statement';
    return 'row';
  }
  if (
    error instanceof errors.AuthenticationError ||
    error instanceof errors.ArgumentError ||
    error instanceof errors.NotSupportedError ||
    error instanceof errors.DriverInternalError
  ) {
    return 'statement';
  }
  if (error instanceof Error) {
    if ('isSocketError' in error && error.isSocketError === true) return 'transient';
    if (isNetworkError(error)) return 'transient';
  }
  return 'row';
}

/** `CASSANDRA_WRITE_TIMEOUT` for a write timeout, `CASSANDRA_NO_HOST_AVAILABLE` for NoHostAvailableError. */
export function cassandraErrorCode(error: unknown): string {
  let name = 'UNKNOWN';
  if (error instanceof errors.ResponseError) {
    name =
      Object.entries(codes).find(([, code]) => code === error.code)?.[0] ?? `0x${error.code.toString(16)}`;
  } else if (error instanceof Error) {
    name = error.name.replace(/Error$/, '') || 'ERROR';
  }
  return `CASSANDRA_${name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

/**
 * Splits row positions into groups of at most `batchSize`, in order: each group is written as one unlogged
 * batch (a group of one as a plain statement).
 *
 * @throws RangeError for a size outside 1 to 30, Amazon Keyspaces' limit per unlogged batch
 */
export function planBatches(count: number, batchSize: number): number[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > keyspacesMaxBatch) {
    throw new RangeError(`batch size must be 1 to ${keyspacesMaxBatch}, got ${batchSize}`);
  }
  const groups: number[][] = [];
  for (let start = 0; start < count; start += batchSize) {
    groups.push(Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => start + i));
  }
  return groups;
}

// Server answers by which Cassandra, and Amazon Keyspaces, say "too much right now". Keyspaces has no error
// of its own for exceeded capacity and answers a throttled write with one of these, so they are worth a short
// wait and another try within the invocation, before failing the whole batch back to the event source.
const throttlingCodes = new Set<number>([
  codes.writeTimeout,
  codes.readTimeout,
  codes.overloaded,
  codes.unavailableException,
  codes.serverError,
]);

/**
 * Whether a failure looks like throttling or overload (a write timeout, overloaded, unavailable, a server
 * error, or the driver's own timeout): retried with backoff by the sink. Unreachable hosts are not: a short
 * wait does not bring Cassandra back, and the event source retries the batch later anyway.
 */
export function isThrottling(error: unknown): boolean {
  if (error instanceof errors.OperationTimedOutError) return true;
  return error instanceof errors.ResponseError && throttlingCodes.has(error.code);
}

/** The write policy of {@link createUserSink}. */
export interface SinkWriteOptions {
  /** How many statements or batches are in flight at once. */
  concurrency: number;
  /** Rows per unlogged batch, 1 to 30; 1 writes each row on its own. */
  batchSize?: number;
  /** Attempts per row or batch that is throttled, including the first. */
  writeAttempts?: number;
}

/**
 * Runs `work` on every item with at most `limit` in flight; collects each result or the Error it failed with,
 * by the item's position. (The benchmark's batched raw loop uses it too, so both write with the same pool.)
 */
export async function settleConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<Array<R | Error>> {
  const results: Array<R | Error> = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) {
      const item = items[i] as T;
      try {
        results[i] = await work(item);
      } catch (error) {
        results[i] = error instanceof Error ? error : new Error(String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Creates the {@link UserSink} over a driver client: the prepared INSERT of every row, with at most
 * `concurrency` writes in flight, then {@link upsertOutcome}.
 *
 * Rows are grouped into unlogged batches of `batchSize` (the settings' default is 10; 1 writes each row as a
 * statement of its own). Every row is its own partition here, so a batch is a multi-partition batch: one
 * coordinator waits on every partition of it, and one bad row fails it. It was still measured worth it: on
 * the local node a request's fixed cost (its framing, and the commit-log sync it waits on) was most of a
 * row's, so batches of 10 about doubled the sink's rate and halved Cassandra's CPU per row (the raw driver
 * loop gained as much; bench/results/optimizations.md). Keyspaces takes up to 30 rows; a self-managed
 * Cassandra warns, with its default settings, from 5 KiB or 10 partitions and refuses from 50 KiB (the local
 * stack's node is set as Keyspaces is, see infra/local/config.ts). A batch refused for a row's values is
 * written again row by row, so only the bad row is dead-lettered. Logged batches are never used: Keyspaces
 * does not support them as Cassandra does, and the upserts are idempotent, so atomicity buys nothing.
 *
 * Rows or batches that fail with {@link isThrottling} are tried again, up to `writeAttempts` in all, after a
 * jittered exponential backoff; what still fails goes to {@link upsertOutcome}, which fails the call.
 *
 * @param client - the driver client, e.g. from `createCassandraClient` (functions/lib/cassandra.ts)
 * @param config - `sink`: concurrency, batch size and attempts
 * @param clock - for the backoff; tests inject a fake
 */
export function createUserSink(
  client: cassandra.Client,
  config: { sink: SinkWriteOptions },
  clock: RetryClock = systemClock,
): UserSink {
  const { concurrency, batchSize = 1, writeAttempts = 1 } = config.sink;
  const policy = { maxAttempts: writeAttempts, baseDelayMs: 100, maxDelayMs: 2_000 };

  /** Writes one group; resolves with each row's result or Error. */
  async function writeGroup(rows: readonly CreatedUserRow[], group: readonly number[]): Promise<unknown[]> {
    const single = (index: number) =>
      client.execute(insertUserCql, rowValues(rows[index] as CreatedUserRow), { prepare: true });
    if (group.length === 1) {
      const [result] = await settleConcurrently(group, 1, single);
      return [result];
    }
    const queries = group.map((index) => ({
      query: insertUserCql,
      params: rowValues(rows[index] as CreatedUserRow),
    }));
    try {
      const result = await client.batch(queries, { prepare: true, logged: false });
      return group.map(() => result);
    } catch (error) {
      if (classifyCassandraError(error) !== 'row') return group.map(() => error);
      return settleConcurrently(group, concurrency, single);
    }
  }

  return {
    async upsert(rows) {
      if (rows.length === 0) return { written: 0, failures: [] };
      const results: unknown[] = new Array(rows.length);
      let pending = planBatches(rows.length, batchSize);
      for (let attempt = 1; pending.length > 0; attempt++) {
        const outcomes = await settleConcurrently(pending, concurrency, (group) => writeGroup(rows, group));
        const throttled: number[][] = [];
        pending.forEach((group, g) => {
          const outcome = outcomes[g];
          const perRow = Array.isArray(outcome) ? outcome : group.map(() => outcome);
          const retry = attempt < policy.maxAttempts && perRow.some(isThrottling);
          if (retry) throttled.push(group);
          else
            group.forEach((index, i) => {
              results[index] = perRow[i];
            });
        });
        pending = throttled;
        if (pending.length > 0) await clock.sleep(retryDelay(undefined, attempt, policy, clock.random));
      }
      // Every row was written or refused; the results have one slot per row.
      return upsertOutcome(rows, results);
    },
  };
}

/**
 * Sorts the results of a concurrent upsert into an {@link UpsertOutcome}, or the error to throw.
 *
 * Rows refused for their values are reported, to be dead-lettered. A failure about the statement or the
 * schema (see {@link classifyCassandraError}) fails the whole call instead: every row would get it, and
 * dead-lettering the stream for a missing table would only hide the real problem.
 *
 * @param rows - the rows, in the order they were executed
 * @param results - per row, its result, or the Error it failed with
 * @throws {@link TransientError} when any row failed for a transient reason
 * @throws {@link CassandraStatementError} when a failure is about the statement or the schema
 */
export function upsertOutcome(rows: readonly CreatedUserRow[], results: readonly unknown[]): UpsertOutcome {
  const failed: Array<{ index: number; id: string; error: unknown }> = [];
  rows.forEach((row, index) => {
    const item = results[index];
    if (item instanceof Error) failed.push({ index, id: row.id, error: item });
  });
  if (failed.length === 0) return { written: rows.length, failures: [] };

  const transient = failed.find((f) => classifyCassandraError(f.error) === 'transient');
  if (transient !== undefined) {
    throw new TransientError(
      `cannot write ${failed.length} of ${rows.length} rows to Cassandra: ${errorText(transient.error)}`,
      { code: cassandraErrorCode(transient.error), cause: transient.error },
    );
  }
  const statement = failed.find((f) => classifyCassandraError(f.error) === 'statement');
  if (statement !== undefined) {
    throw new CassandraStatementError(
      `Cassandra refused the upsert (${failed.length} of ${rows.length} rows): ${errorText(statement.error)}`,
      { code: cassandraErrorCode(statement.error), cause: statement.error },
    );
  }
  return {
    written: rows.length - failed.length,
    failures: failed.map(({ index, id, error }) => ({
      index,
      id,
      error: new CassandraWriteError(`Cassandra refused the row: ${errorText(error)}`, {
        code: cassandraErrorCode(error),
        cause: error,
      }),
    })),
  };
}
