/**
 * Typed errors of the benchmark's runner: its command line, the console phase (bench/console.ts) and the Spark
 * peer (bench/peer-spark.ts). None is retryable within a run: a console that does not start, exits or stops
 * answering mid-round would spoil the round it ran in, and a benchmark that quietly ran the round again would
 * measure something else. Each carries a stable `code` to branch on.
 */
import { PipelineError } from '../../lib/errors.ts';

/** Why the console phase could not measure. */
export type ConsolePhaseFailure =
  /** The console's process did not serve its page in time, or exited while starting. */
  | 'CONSOLE_START'
  /** The console's process exited during a round. */
  | 'CONSOLE_EXITED'
  /** The viewer's `/api/live` stream or a `/metrics` scrape failed during a round. */
  | 'CONSOLE_VIEWER'
  /** Cassandra does not hold a row for every user of a round the sink said it consumed. */
  | 'CONSOLE_ROWS_MISSING';

/** The console phase failed; `code` says how (see {@link ConsolePhaseFailure}). */
export class ConsolePhaseError extends PipelineError {
  override readonly name: string = 'ConsolePhaseError';

  constructor(message: string, options: { code: ConsolePhaseFailure; cause?: unknown }) {
    super(message, { ...options, retryable: false });
  }
}

/** `npm run bench` was given arguments it cannot run with; the message says which and why. */
export class BenchArgsError extends PipelineError {
  override readonly name: string = 'BenchArgsError';

  constructor(message: string, cause?: unknown) {
    super(message, { code: 'BENCH_ARGS_INVALID', retryable: false, cause });
  }
}

/** Why the Spark peer phase (bench/peer-spark.ts) could not measure. */
export type SparkPeerFailure =
  /** The driver exited before it had read every record. */
  | 'SPARK_JOB_EXITED'
  /** It had not read every record by the deadline. */
  | 'SPARK_TIMEOUT'
  /** It skipped records as invalid: the bench's records are all valid, so the job and sink-users disagree. */
  | 'SPARK_REJECTED'
  /** Its keyspace does not hold one `created_users` row per record. */
  | 'SPARK_ROWS_MISSING'
  /** Its `created_users` query printed no first batch. */
  | 'SPARK_NO_FIRST_BATCH'
  /** Its `created_users` query had fewer than two batches with data, so no steady rate. */
  | 'SPARK_NO_STEADY_RATE';

/** The Spark peer phase failed; `code` says how (see {@link SparkPeerFailure}). */
export class SparkPeerError extends PipelineError {
  override readonly name: string = 'SparkPeerError';

  constructor(message: string, options: { code: SparkPeerFailure; cause?: unknown }) {
    super(message, { ...options, retryable: false });
  }
}
