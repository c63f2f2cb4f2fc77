/**
 * Typed errors of the benchmark report. None is retryable: a malformed history file or results object fails
 * the same way until someone fixes it, so each message says where to look.
 */

/** Base class of the report's errors, with the `cause` and a `retryable` flag like the pipeline's errors. */
export class ReportError extends Error {
  override readonly name: string = 'ReportError';
  /** Always false: the same input fails the same way. */
  readonly retryable = false;

  constructor(message: string, options: { cause?: unknown } = {}) {
    // Only when given, so errors without one carry no `cause: undefined` in logs.
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

/** A line of `history.jsonl` is not JSON, or not a history entry. */
export class HistoryLineError extends ReportError {
  override readonly name: string = 'HistoryLineError';

  /**
   * @param file - the history file, as given
   * @param line - the 1-based line number
   * @param reason - what is wrong with the line
   * @param cause - the JSON or schema error
   */
  constructor(
    readonly file: string,
    readonly line: number,
    reason: string,
    cause?: unknown,
  ) {
    super(`${file}, line ${line}: ${reason}`, { cause });
  }
}

/** An entry to append to the history does not match `historyEntrySchema` (a NaN rate, say). */
export class InvalidHistoryEntryError extends ReportError {
  override readonly name: string = 'InvalidHistoryEntryError';
}

/** The results to report do not match `resultsSchema`. */
export class InvalidResultsError extends ReportError {
  override readonly name: string = 'InvalidResultsError';
}

/** A zod error's issues on one line (`stages.0.perSecond: Invalid input; …`), for messages that name a line. */
export function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .map(
      (issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)'}: ${issue.message}`,
    )
    .join('; ');
}
