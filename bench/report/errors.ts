/**
 * Typed errors of the benchmark report. None is retryable: a malformed history file or results object fails
 * the same way until someone fixes it, so each message says where to look.
 */
import { PipelineError } from '../../lib/errors.ts';

/** Base class of the report's errors; never retryable (see above). */
export class ReportError extends PipelineError {
  override readonly name: string = 'ReportError';

  constructor(message: string, options: { cause?: unknown; code?: string } = {}) {
    super(message, { code: options.code ?? 'REPORT_INVALID', cause: options.cause, retryable: false });
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
