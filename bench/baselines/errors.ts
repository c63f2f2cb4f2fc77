/**
 * Typed errors of the raw baselines. None is retryable within a run: a tool that exits non-zero, prints
 * something unreadable or falls short of its record count would do the same on a second try, and a
 * benchmark that quietly retried would measure the retry. Each carries a stable `code` to branch on.
 */
import { describeIssues, type Issue, PipelineError } from '../../lib/errors.ts';

/** Base class of the baselines' errors: a stable `code` (e.g. `KAFKA_TOOL_EXIT`), never retryable (see above). */
export class BaselineError extends PipelineError {
  override readonly name: string = 'BaselineError';

  constructor(message: string, options: { code: string; cause?: unknown }) {
    super(message, { ...options, retryable: false });
  }
}

/** Why a Kafka tool run did not yield a measurement. */
export type KafkaToolFailure =
  /** `java` could not be started, or the jars directory holds no Kafka tools. */
  | 'spawn'
  /** The JVM exited non-zero or was killed. */
  | 'exit'
  /** It exited 0 but its summary could not be found or read. */
  | 'output'
  /** It finished with fewer records than asked for; its rate would include the time spent waiting. */
  | 'short'
  /** It ran past the caller's deadline and was stopped. */
  | 'timeout'
  /** The caller's signal aborted it. */
  | 'aborted';

/**
 * A Kafka performance tool (`ProducerPerformance`, `ConsumerPerformance`) failed. The message ends with the
 * tail of the tool's stderr, which is where the JVM and the Kafka client say what went wrong.
 */
export class KafkaToolError extends BaselineError {
  override readonly name: string = 'KafkaToolError';

  /**
   * @param tool - the main class's simple name, e.g. `ProducerPerformance`
   * @param failure - what went wrong; also the `code` (`KAFKA_TOOL_<FAILURE>`)
   * @param detail - what happened, for humans
   * @param stderrTail - the last lines the tool wrote to stderr (may be empty)
   * @param exitCode - the JVM's exit code, when it exited
   */
  constructor(
    readonly tool: string,
    readonly failure: KafkaToolFailure,
    detail: string,
    readonly stderrTail: string,
    readonly exitCode?: number | null,
    cause?: unknown,
  ) {
    super(`${tool}: ${detail}${stderrTail ? `\n--- stderr (tail) ---\n${stderrTail}` : ' (no stderr)'}`, {
      code: `KAFKA_TOOL_${failure.toUpperCase()}`,
      cause,
    });
  }
}

/** Some of the raw Cassandra inserts failed; the first failure is the `cause`. */
export class CassandraBaselineError extends BaselineError {
  override readonly name: string = 'CassandraBaselineError';
}

/** The raw PostgreSQL bulk insert failed; the driver's error, with its SQLSTATE `code`, is the `cause`. */
export class PostgresBaselineError extends BaselineError {
  override readonly name: string = 'PostgresBaselineError';
}

/** A baseline was called with options outside their schema (a record count of 0, say). */
export class BaselineOptionsError extends BaselineError {
  override readonly name: string = 'BaselineOptionsError';

  constructor(baseline: string, issues: readonly Issue[]) {
    super(`${baseline}: invalid options: ${describeIssues(issues)}`, { code: 'BASELINE_OPTIONS' });
  }
}
