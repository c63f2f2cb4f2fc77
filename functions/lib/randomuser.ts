/**
 * The pipeline's randomuser.me client: one GET per page of up to 5000 users, with a timeout and a size limit,
 * and every way the API is known to fail turned into a typed error that says whether to retry. It makes one
 * attempt per call; fetch-users wraps it in `withRetry`. The base URL is the local randomuser-compatible API
 * by default (infra/randomuser), or `https://randomuser.me/api/1.4/`.
 */

import { describeIssues, errorText, PipelineError } from '../../lib/errors.ts';
import { TransientError, ValidationError } from './errors.ts';
import type { HasRetryAfter } from './retry.ts';
import { randomUserErrorSchema, randomUserInfoSchema, randomUserResponseSchema } from './schemas.ts';

/** One page to fetch. */
export interface PageRequest {
  /** 1 to 5000. */
  results: number;
  seed: string;
  page: number;
  /** Comma-separated nationality codes, e.g. `GB,FR`; all when unset. */
  nat?: string | undefined;
}

/** A page as received: the raw records, not yet validated one by one. */
export interface RandomUserPage {
  results: unknown[];
  info: { seed: string; results: number; page: number; version: string } | undefined;
  /** The size of the body in bytes. */
  bytes: number;
}

/** Fetches pages of users. */
export interface UserSource {
  /**
   * Fetches one page, once.
   *
   * @throws {@link RandomUserHttpError} for an error status (retryable for 408, 429 and 5xx)
   * @throws {@link ResponseTooLargeError} when the body exceeds the size limit (not retryable)
   * @throws {@link MalformedResponseError} for a body that is cut short, not JSON or not a randomuser response
   * @throws {@link EmptyResultsError} for a 200 without users (retryable: randomuser does this in outages)
   * @throws {@link ValidationError} when more users came back than were asked for
   * @throws {@link TransientError} for timeouts and network failures
   */
  fetchPage(request: PageRequest): Promise<RandomUserPage>;
}

/** An error status from randomuser. 408, 429 and 5xx are retryable; a 429 may say when (`Retry-After`). */
export class RandomUserHttpError extends PipelineError implements Partial<HasRetryAfter> {
  override readonly name: string = 'RandomUserHttpError';
  readonly status: number;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, status: number, retryAfterMs: number | undefined) {
    const retryable = status === 408 || status === 429 || status >= 500;
    super(message, {
      code: status === 429 ? 'RANDOMUSER_RATE_LIMITED' : `RANDOMUSER_HTTP_${status}`,
      retryable,
    });
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The body is over the size limit; the download was aborted. */
export class ResponseTooLargeError extends PipelineError {
  override readonly name: string = 'ResponseTooLargeError';

  constructor(message: string) {
    super(message, { code: 'RANDOMUSER_RESPONSE_TOO_LARGE', retryable: false });
  }
}

/**
 * The body was cut short, is not JSON or is not a randomuser response. Retryable: randomuser has served
 * error pages and broken bodies during outages, and a connection dropped mid-body is transient.
 */
export class MalformedResponseError extends TransientError {
  override readonly name: string = 'MalformedResponseError';

  constructor(message: string, code: string, cause?: unknown) {
    super(message, { code, cause });
  }
}

/** A 200 with an empty `results`. Retryable: randomuser has done this during outages. */
export class EmptyResultsError extends TransientError {
  override readonly name: string = 'EmptyResultsError';

  constructor(message: string) {
    super(message, { code: 'RANDOMUSER_EMPTY_RESULTS' });
  }
}

/** Options of {@link createUserSource}. */
export interface UserSourceOptions {
  /** The API's base URL, e.g. `https://randomuser.me/api/1.4/`. */
  url: string;
  /** For the whole request, body included. */
  timeoutMs: number;
  maxResponseBytes: number;
  /** Injected for tests; the global fetch otherwise. */
  fetch?: typeof fetch;
  /** For `Retry-After` dates. */
  now?: () => number;
}

/**
 * Parses a `Retry-After` header: delta seconds or an HTTP date.
 *
 * @returns milliseconds to wait (0 or more), or undefined when absent or unreadable
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** The URL of a page: `results`, `seed` and `page`, plus `nat` when set. */
export function pageUrl(base: string, request: PageRequest): URL {
  const url = new URL(base);
  url.searchParams.set('results', String(request.results));
  url.searchParams.set('seed', request.seed);
  url.searchParams.set('page', String(request.page));
  if (request.nat) url.searchParams.set('nat', request.nat);
  return url;
}

/** Creates a {@link UserSource} over HTTP. */
export function createUserSource(options: UserSourceOptions): UserSource {
  const fetchImpl = options.fetch ?? fetch;
  const now = options.now ?? Date.now;

  return {
    async fetchPage(request) {
      const url = pageUrl(options.url, request);
      const where = `randomuser page ${request.page} (seed ${request.seed})`;
      const signal = AbortSignal.timeout(options.timeoutMs);
      let response: Response;
      try {
        response = await fetchImpl(url, { signal, headers: { accept: 'application/json' } });
      } catch (error) {
        throw networkError(where, error, options.timeoutMs);
      }
      const body = await readLimited(response, options.maxResponseBytes, where, options.timeoutMs);

      if (!response.ok) {
        const detail = errorDetail(body);
        throw new RandomUserHttpError(
          `${where}: HTTP ${response.status}${detail ? `: ${detail}` : ''}`,
          response.status,
          parseRetryAfter(response.headers.get('retry-after'), now()),
        );
      }

      const json = parseJson(body, where);
      const envelope = randomUserResponseSchema.safeParse(json);
      if (!envelope.success) {
        throw new MalformedResponseError(
          `${where}: not a randomuser response: ${describeIssues(envelope.error)}`,
          'RANDOMUSER_MALFORMED',
          envelope.error,
        );
      }
      const { results } = envelope.data;
      if (results.length === 0) throw new EmptyResultsError(`${where}: 200 with an empty results`);
      if (results.length > request.results) {
        throw new ValidationError(
          `${where}: ${results.length} results came back, ${request.results} were asked for`,
          `${where} results`,
          { code: 'RANDOMUSER_TOO_MANY_RESULTS' },
        );
      }
      const info = randomUserInfoSchema.safeParse(envelope.data.info);
      return { results, info: info.success ? info.data : undefined, bytes: body.byteLength };
    },
  };
}

function networkError(where: string, error: unknown, timeoutMs: number): TransientError {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return new TransientError(`${where}: no complete response within ${timeoutMs} ms`, {
      code: 'RANDOMUSER_TIMEOUT',
      cause: error,
    });
  }
  const reason = errorText(error);
  return new TransientError(`${where}: request failed: ${reason}`, {
    code: 'RANDOMUSER_UNREACHABLE',
    cause: error,
  });
}

/** Reads the body, aborting as soon as it passes `limit` bytes (or declares more up front). */
async function readLimited(
  response: Response,
  limit: number,
  where: string,
  timeoutMs: number,
): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > limit) {
    await response.body?.cancel();
    throw new ResponseTooLargeError(
      `${where}: the response declares ${declared} bytes, over the ${limit}-byte limit`,
    );
  }
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        throw new ResponseTooLargeError(
          `${where}: the response passed the ${limit}-byte limit; download aborted`,
        );
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof PipelineError) throw error;
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      throw networkError(where, error, timeoutMs);
    }
    throw new MalformedResponseError(
      `${where}: the body was cut short after ${size} bytes: ${errorText(error)}`,
      'RANDOMUSER_TRUNCATED',
      error,
    );
  }
  return Buffer.concat(chunks);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseJson(body: Buffer, where: string): unknown {
  try {
    return JSON.parse(utf8.decode(body));
  } catch (error) {
    throw new MalformedResponseError(
      `${where}: the body (${body.byteLength} bytes) is not valid JSON: ${errorText(error)}`,
      'RANDOMUSER_MALFORMED_JSON',
      error,
    );
  }
}

/** randomuser's `{"error": "..."}`, if that is what the body holds. */
function errorDetail(body: Buffer): string | undefined {
  try {
    const parsed = randomUserErrorSchema.safeParse(JSON.parse(body.toString('utf8')));
    return parsed.success ? parsed.data.error.slice(0, 200) : undefined;
  } catch {
    // Not JSON: an HTML error page, say. The status alone tells the story.
    return undefined;
  }
}
