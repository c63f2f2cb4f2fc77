/**
 * The pipeline's Cassandra client: one driver client per process, built at module load and connected on the
 * first query, and {@link UserSink}, the only thing the functions do with Cassandra: upsert
 * `created_users` rows. It sorts driver failures into transient ones (rethrown as {@link TransientError},
 * so the event source retries the whole batch; never dead-lettered) and permanent ones, which the sink
 * reports per row for the caller to dead-letter.
 */
import cassandra from 'cassandra-driver';
import { type CreatedUserRow, createdUserColumns, rowValues } from '../sink-users/mapping.ts';
import type { Config } from './config.ts';
import { isNetworkError, messageOf, PipelineError, TransientError } from './errors.ts';

const { errors, types } = cassandra;
const codes = types.responseErrorCodes;

/**
 * Builds the driver client for a config. It connects on the first query, so building it at load costs
 * nothing and a Cassandra that is down fails the invocation, not the cold start.
 *
 * Every query on it is idempotent: the pipeline only upserts rows keyed by id whose values are a function of
 * the record. That is set client-wide (`queryOptions.isIdempotent`) because
 * `cassandra.concurrent.executeConcurrent` (driver 4.10, lib/concurrent/index.js) passes only `prepare` and
 * `executionProfile` to each `execute` and drops every other option, and an execution profile has no
 * idempotence setting; the per-query options fall back to `client.options.queryOptions`
 * (lib/execution-options.js `isIdempotent()`). Without it the driver never retries a write after a client
 * timeout or a write timeout.
 */
export function createCassandraClient(config: Pick<Config, 'cassandra'>): cassandra.Client {
  return new cassandra.Client({
    // `host` or `host:port`; the driver applies protocolOptions.port (9042) to entries without a port.
    contactPoints: config.cassandra.contactPoints,
    localDataCenter: config.cassandra.localDataCenter,
    keyspace: config.cassandra.keyspace,
    // A function should fail fast and let its event source retry. The read timeout stays above Cassandra's
    // own write_request_timeout (2 s), so a slow replica shows up as the server's WriteTimeout.
    socketOptions: { connectTimeout: 3_000, readTimeout: 10_000 },
    queryOptions: {
      prepare: true,
      isIdempotent: true,
      // A quorum of the local data centre: an acknowledged row survives the loss of a replica.
      consistency: types.consistencies.localQuorum,
    },
    policies: {
      // A warm function must not wait minutes (the default grows to 10) before it tries a host again.
      reconnection: new cassandra.policies.reconnection.ExponentialReconnectionPolicy(500, 10_000, false),
    },
  });
}

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

const insertUser = `INSERT INTO created_users (${createdUserColumns.join(', ')}) VALUES (${createdUserColumns
  .map(() => '?')
  .join(', ')})`;

/**
 * Creates the {@link UserSink} over a driver client: the prepared INSERT of every row through
 * `executeConcurrent`, which runs them all even when some fail, then {@link upsertOutcome}.
 *
 * @param client - the driver client, e.g. from {@link createCassandraClient}
 * @param config - `sink.concurrency`: how many writes are in flight at once
 */
export function createUserSink(client: cassandra.Client, config: Pick<Config, 'sink'>): UserSink {
  return {
    async upsert(rows) {
      if (rows.length === 0) return { written: 0, failures: [] };
      let group: cassandra.concurrent.ResultSetGroup;
      try {
        group = await cassandra.concurrent.executeConcurrent(client, insertUser, rows.map(rowValues), {
          concurrencyLevel: config.sink.concurrency,
          raiseOnFirstError: false,
          collectResults: true,
        });
      } catch (error) {
        // Per-row failures are collected, not raised; what is raised concerns the whole call.
        const what = `cannot upsert ${rows.length} rows into Cassandra: ${messageOf(error)}`;
        const options = { code: cassandraErrorCode(error), cause: error };
        throw classifyCassandraError(error) === 'transient'
          ? new TransientError(what, options)
          : new CassandraStatementError(what, options);
      }
      // The driver's `errors` list has no row positions; the collected results do (a row's error in its slot).
      return upsertOutcome(rows, group.resultItems);
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
      `cannot write ${failed.length} of ${rows.length} rows to Cassandra: ${messageOf(transient.error)}`,
      { code: cassandraErrorCode(transient.error), cause: transient.error },
    );
  }
  const statement = failed.find((f) => classifyCassandraError(f.error) === 'statement');
  if (statement !== undefined) {
    throw new CassandraStatementError(
      `Cassandra refused the upsert (${failed.length} of ${rows.length} rows): ${messageOf(statement.error)}`,
      { code: cassandraErrorCode(statement.error), cause: statement.error },
    );
  }
  return {
    written: rows.length - failed.length,
    failures: failed.map(({ index, id, error }) => ({
      index,
      id,
      error: new CassandraWriteError(`Cassandra refused the row: ${messageOf(error)}`, {
        code: cassandraErrorCode(error),
        cause: error,
      }),
    })),
  };
}
