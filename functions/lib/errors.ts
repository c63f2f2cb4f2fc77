/**
 * The functions' typed errors. Each extends the repository's {@link PipelineError} (lib/errors.ts). Callers
 * branch on `retryable` (rethrow so the event source retries, or record and dead-letter) and on `code`,
 * never on message text.
 */
import { PipelineError } from '../../lib/errors.ts';

/** The options a subclass takes: the `cause`, and a `code` where the subclass's default will not do. */
export interface PipelineErrorOptions {
  /** The underlying error, kept for logs and debugging. */
  cause?: unknown;
  /** A stable, machine-readable code; each subclass has a default. */
  code?: string;
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
