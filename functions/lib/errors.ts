/**
 * The pipeline's typed errors.
 *
 * Every error the functions raise on purpose extends {@link PipelineError}. Callers branch on `retryable`
 * (rethrow so the event source retries, or record and dead-letter) and on `code`, never on message text.
 */

/** Options shared by every {@link PipelineError}. */
export interface PipelineErrorOptions {
  /** The underlying error, kept for logs and debugging. */
  cause?: unknown;
  /** A stable, machine-readable code; each subclass has a default. */
  code?: string;
}

/** The base class of the pipeline's errors: a stable `code`, a `retryable` flag and the `cause`. */
export class PipelineError extends Error {
  override readonly name: string = 'PipelineError';
  /** A stable, machine-readable code for callers to branch on. */
  readonly code: string;
  /** Whether the same operation may succeed if it is tried again. */
  readonly retryable: boolean;

  /**
   * @param message - what went wrong, for humans
   * @param options - the `code`, whether it is `retryable`, and the `cause`
   */
  constructor(message: string, options: PipelineErrorOptions & { code: string; retryable: boolean }) {
    // Only when given, so errors without one carry no `cause: undefined` in logs.
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.retryable = options.retryable;
  }
}

/** A setting is missing or invalid. Not retryable: the deployment must be fixed. */
export class ConfigError extends PipelineError {
  override readonly name: string = 'ConfigError';
  /** The names of the offending settings, e.g. `['PGPORT']`. */
  readonly settings: readonly string[];

  /**
   * @param message - what is wrong with the settings
   * @param settings - the names of the offending settings
   * @param options - an optional `code` (default `CONFIG_INVALID`) and `cause`
   */
  constructor(message: string, settings: readonly string[], options: PipelineErrorOptions = {}) {
    super(message, { cause: options.cause, code: options.code ?? 'CONFIG_INVALID', retryable: false });
    this.settings = settings;
  }
}

/** Input failed validation. Not retryable: the same input fails the same way every time. */
export class ValidationError extends PipelineError {
  override readonly name: string = 'ValidationError';
  /** Where the bad input was found, e.g. `randomuser response results[3].login.uuid`. */
  readonly where: string;

  /**
   * @param message - what is wrong with the input
   * @param where - where the bad input was found
   * @param options - an optional `code` (default `VALIDATION_FAILED`) and `cause`
   */
  constructor(message: string, where: string, options: PipelineErrorOptions = {}) {
    super(message, { cause: options.cause, code: options.code ?? 'VALIDATION_FAILED', retryable: false });
    this.where = where;
  }
}

/** A dependency is temporarily unavailable (broker down, timeout, throttling). Retryable. */
export class TransientError extends PipelineError {
  override readonly name: string = 'TransientError';

  /**
   * @param message - what failed
   * @param options - an optional `code` (default `TRANSIENT`) and `cause`
   */
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(message, { cause: options.cause, code: options.code ?? 'TRANSIENT', retryable: true });
  }
}

/** The message of anything thrown: an Error's `message`, or the value as text. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// Socket-level failures: the peer is down, unreachable or gone mid-request.
const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/** Whether a thrown value is a socket-level failure (refused, reset, timed out, unresolvable), by its `code`. */
export function isNetworkError(error: unknown): boolean {
  return (
    error instanceof Error &&
    'code' in error &&
    typeof error.code === 'string' &&
    networkCodes.has(error.code)
  );
}
