/**
 * The console's typed errors, on the repository's base error (lib/errors.ts). Each carries the HTTP status the
 * server answers with and a message that names the fix; the server turns any of them into `{ error: { code,
 * message } }` (api.ts's ApiError).
 */
import { PipelineError } from '../../lib/errors.ts';

/** A request the console refuses or cannot serve, with the HTTP status to answer. */
export class ConsoleError extends PipelineError {
  override readonly name: string = 'ConsoleError';

  constructor(
    message: string,
    readonly status: number,
    options: { code: string; retryable?: boolean; cause?: unknown },
  ) {
    super(message, { code: options.code, retryable: options.retryable ?? false, cause: options.cause });
  }
}

/** 400: the request's parameters or body are not what the route takes. */
export function badRequest(message: string, cause?: unknown): ConsoleError {
  return new ConsoleError(message, 400, { code: 'BAD_REQUEST', cause });
}

/** 404: the thing asked for does not exist. */
export function notFound(message: string): ConsoleError {
  return new ConsoleError(message, 404, { code: 'NOT_FOUND' });
}
