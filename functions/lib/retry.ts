import { errorText, PipelineError } from '../../lib/errors.ts';
/**
 * Retries with jittered exponential backoff, on an injected clock.
 *
 * Hand-written rather than p-retry or exponential-backoff because the pipeline needs three things those do
 * not offer together: a delay chosen per error (a 429's `Retry-After` overrides the backoff), a deadline that
 * stops retrying before the Lambda's own timeout does, and an injectable clock and random source so the
 * policy is unit-tested without waiting.
 */

/** How many times to try and how long to wait in between. */
export interface RetryPolicy {
  /** Attempts in all, including the first. */
  maxAttempts: number;
  /** The backoff ceiling before the first retry; it doubles per retry. */
  baseDelayMs: number;
  /** The largest backoff ceiling. */
  maxDelayMs: number;
}

/** The clock and randomness a retry loop runs on; tests inject fakes. */
export interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** A number in [0, 1). */
  random(): number;
}

/** The real clock. */
export const systemClock: RetryClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/** An error that says when to try again, such as a 429 with `Retry-After`. */
export interface HasRetryAfter {
  retryAfterMs: number;
}

function retryAfterOf(error: unknown): number | undefined {
  if (error instanceof PipelineError && 'retryAfterMs' in error && typeof error.retryAfterMs === 'number') {
    return error.retryAfterMs;
  }
  return undefined;
}

/** Whether an error may succeed on another attempt: only errors that say so. */
export function isRetryable(error: unknown): boolean {
  return error instanceof PipelineError && error.retryable;
}

/**
 * The wait before retry number `retry` (1 for the first retry) after `error`: "full jitter", a uniform
 * draw below the exponential ceiling, so concurrent callers spread out. A `Retry-After` is a floor: the wait
 * is that plus up to one base delay of jitter.
 */
export function retryDelay(error: unknown, retry: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  const retryAfter = retryAfterOf(error);
  if (retryAfter !== undefined) return Math.round(retryAfter + random() * policy.baseDelayMs);
  return Math.round(random() * ceiling);
}

/** Options of {@link withRetry}. */
export interface RetryOptions {
  policy: RetryPolicy;
  clock?: RetryClock;
  /** Epoch ms after which no retry starts; a wait that would end past it is not taken. */
  deadline?: number;
  /** Called before each wait, for logging. */
  onRetry?: (info: { error: unknown; attempt: number; delayMs: number }) => void;
}

/** Every attempt failed, or the deadline left no time for another; `cause` is the last failure. */
export class RetriesExhaustedError extends PipelineError {
  override readonly name: string = 'RetriesExhaustedError';
  readonly attempts: number;

  constructor(what: string, attempts: number, cause: unknown, reason: 'attempts' | 'deadline') {
    const last = errorText(cause);
    super(
      `${what} failed after ${attempts} attempt${attempts === 1 ? '' : 's'} (${reason === 'deadline' ? 'no time left for another' : 'no attempts left'}): ${last}`,
      {
        cause,
        code: cause instanceof PipelineError ? cause.code : 'RETRIES_EXHAUSTED',
        // Still retryable as a whole: a later invocation may succeed where these attempts did not.
        retryable: true,
      },
    );
    this.attempts = attempts;
  }
}

/**
 * Runs `operation` until it succeeds, retrying only errors that are retryable (see {@link isRetryable}).
 *
 * @param what - names the operation in the final error, e.g. `GET randomuser page 3`
 * @param operation - called with the attempt number, from 1
 * @returns the first successful result
 * @throws the error itself when it is not retryable, else {@link RetriesExhaustedError}
 */
export async function withRetry<T>(
  what: string,
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const clock = options.clock ?? systemClock;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!isRetryable(error)) throw error;
      if (attempt >= options.policy.maxAttempts) {
        throw new RetriesExhaustedError(what, attempt, error, 'attempts');
      }
      const delayMs = retryDelay(error, attempt, options.policy, clock.random);
      if (options.deadline !== undefined && clock.now() + delayMs > options.deadline) {
        throw new RetriesExhaustedError(what, attempt, error, 'deadline');
      }
      options.onRetry?.({ error, attempt, delayMs });
      await clock.sleep(delayMs);
    }
  }
}
