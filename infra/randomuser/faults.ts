/**
 * Fault injection and rate limiting for tests of the pipeline's error handling. The decisions are pure
 * functions of the fault settings, a random source and a clock, so they can be tested without a server.
 */
import { z } from 'zod';

export interface RateLimit {
  /** Users a client may be served per window; the request that reaches the limit is still served. */
  users: number;
  windowMs: number;
}

export interface Faults {
  /** Share (0..1) of requests answered with `errorStatus`. */
  errorRate: number;
  errorStatus: number;
  /** The next `count` requests fail with `status`, whatever the rates say. */
  failNext: { count: number; status: number };
  /** Share of requests answered `200` with `results: []` (upstream did this during outages). */
  emptyRate: number;
  emptyNext: number;
  /** Share of responses cut mid-body: the full Content-Length is declared, then the socket is destroyed. */
  truncateRate: number;
  truncateNext: number;
  /** Share of responses answered `200` with a body that is not valid JSON. */
  malformedRate: number;
  malformedNext: number;
  /**
   * The next `count` pages carry a hostile user: the first user's `name.first` is {@link hostileNameLength}
   * characters long, as a hostile source could send it; the rest of the page is as usual.
   */
  hostileNext: number;
  /** Delay before every API response, in milliseconds. */
  latencyMs: number;
  /** Users per window per client IP; null means no limit (the default). */
  rateLimit: RateLimit | null;
  /** Fixed Retry-After for 429s instead of the time left in the window (lets tests wait 1 s). */
  retryAfterSeconds: number | null;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { users: 20_000, windowMs: 5 * 60_000 };

export const NO_FAULTS: Faults = {
  errorRate: 0,
  errorStatus: 503,
  failNext: { count: 0, status: 503 },
  emptyRate: 0,
  emptyNext: 0,
  truncateRate: 0,
  truncateNext: 0,
  malformedRate: 0,
  malformedNext: 0,
  hostileNext: 0,
  latencyMs: 0,
  rateLimit: null,
  retryAfterSeconds: null,
};

const rate = z.number().min(0).max(1);
const count = z.int().min(0);
const status5xx = z.int().min(500).max(599);

/**
 * A change to the fault settings; omitted keys keep their value. `failNext` may be a bare count (failing
 * with `errorStatus`), and `rateLimit` may be `true` (20000 users per 5 minutes), `false`/`null` (off) or
 * `{users?, windowMs?}`. Unknown keys are rejected so that a typo does not silently inject nothing.
 */
export const faultsPatchSchema = z
  .strictObject({
    errorRate: rate,
    errorStatus: status5xx,
    failNext: z.union([count, z.strictObject({ count, status: status5xx.optional() })]),
    emptyRate: rate,
    emptyNext: count,
    truncateRate: rate,
    truncateNext: count,
    malformedRate: rate,
    malformedNext: count,
    hostileNext: count,
    latencyMs: z.int().min(0).max(600_000),
    rateLimit: z.union([
      z.boolean(),
      z.null(),
      z.strictObject({ users: z.int().min(1).optional(), windowMs: z.int().min(1).optional() }),
    ]),
    retryAfterSeconds: z.int().min(0).nullable(),
  })
  .partial();
export type FaultsPatch = z.input<typeof faultsPatchSchema>;

/** Validates a patch (throws a ZodError) and returns the settings with it applied. */
export function applyFaultsPatch(current: Faults, patch: FaultsPatch): Faults {
  const p = faultsPatchSchema.parse(patch);
  const { failNext, rateLimit, ...plain } = p;
  const next: Faults = { ...current, ...plain };
  if (failNext !== undefined) {
    next.failNext =
      typeof failNext === 'number'
        ? { count: failNext, status: next.errorStatus }
        : { count: failNext.count, status: failNext.status ?? next.errorStatus };
  }
  if (rateLimit === true) next.rateLimit = { ...DEFAULT_RATE_LIMIT };
  else if (rateLimit === false || rateLimit === null) next.rateLimit = null;
  else if (rateLimit !== undefined)
    next.rateLimit = { ...(current.rateLimit ?? DEFAULT_RATE_LIMIT), ...rateLimit };
  return next;
}

/** How long the hostile user's first name is: the length a hostile source was seen to send (issue 16). */
export const hostileNameLength = 200_000;

export type Fault =
  | { kind: 'error'; status: number }
  | { kind: 'empty' }
  | { kind: 'truncate' }
  | { kind: 'malformed' }
  | { kind: 'hostile' };
export type FaultKind = Fault['kind'];

/**
 * Picks the fault (or none) for one request and returns the settings with any `…Next` counter consumed.
 * Forced faults come first, in the order failNext, truncateNext, malformedNext, emptyNext, hostileNext (a
 * hostile user needs a page that is served whole); then the rates in
 * the same order, each drawing from `random` only when it is strictly between 0 and 1, so that rates of 0
 * and 1 are deterministic.
 */
export function decideFault(faults: Faults, random: () => number): { fault: Fault | null; faults: Faults } {
  if (faults.failNext.count > 0) {
    return {
      fault: { kind: 'error', status: faults.failNext.status },
      faults: { ...faults, failNext: { ...faults.failNext, count: faults.failNext.count - 1 } },
    };
  }
  if (faults.truncateNext > 0) {
    return { fault: { kind: 'truncate' }, faults: { ...faults, truncateNext: faults.truncateNext - 1 } };
  }
  if (faults.malformedNext > 0) {
    return { fault: { kind: 'malformed' }, faults: { ...faults, malformedNext: faults.malformedNext - 1 } };
  }
  if (faults.emptyNext > 0) {
    return { fault: { kind: 'empty' }, faults: { ...faults, emptyNext: faults.emptyNext - 1 } };
  }
  if (faults.hostileNext > 0) {
    return { fault: { kind: 'hostile' }, faults: { ...faults, hostileNext: faults.hostileNext - 1 } };
  }
  const hit = (share: number) => share >= 1 || (share > 0 && random() < share);
  if (hit(faults.errorRate)) return { fault: { kind: 'error', status: faults.errorStatus }, faults };
  if (hit(faults.truncateRate)) return { fault: { kind: 'truncate' }, faults };
  if (hit(faults.malformedRate)) return { fault: { kind: 'malformed' }, faults };
  if (hit(faults.emptyRate)) return { fault: { kind: 'empty' }, faults };
  return { fault: null, faults };
}

export type RateLimitVerdict = { limited: false } | { limited: true; retryAfterSeconds: number };

/**
 * Fixed-window count of users served per client. A window opens at a client's first request and lasts
 * `windowMs`; once the client has been served `users` users in it, requests are refused until it ends.
 */
export class UserRateLimiter {
  private readonly windows = new Map<string, { start: number; users: number }>();

  check(client: string, limit: RateLimit, now: number): RateLimitVerdict {
    const window = this.current(client, limit, now);
    if (!window || window.users < limit.users) return { limited: false };
    return {
      limited: true,
      retryAfterSeconds: Math.max(1, Math.ceil((window.start + limit.windowMs - now) / 1000)),
    };
  }

  record(client: string, users: number, limit: RateLimit, now: number): void {
    const window = this.current(client, limit, now);
    if (window) window.users += users;
    else {
      if (this.windows.size >= 10_000) this.prune(limit, now);
      this.windows.set(client, { start: now, users });
    }
  }

  clear(): void {
    this.windows.clear();
  }

  private current(client: string, limit: RateLimit, now: number) {
    const window = this.windows.get(client);
    return window && now < window.start + limit.windowMs ? window : undefined;
  }

  private prune(limit: RateLimit, now: number): void {
    for (const [client, window] of this.windows) {
      if (now >= window.start + limit.windowMs) this.windows.delete(client);
    }
  }
}

/**
 * Reads a rate limit written as `USERS/SECONDS` (e.g. `20000/300`) or just `USERS` (5-minute window);
 * empty, `0` and `off` mean no limit. Throws on anything else.
 */
export function parseRateLimit(text: string): RateLimit | null {
  const value = text.trim().toLowerCase();
  if (value === '' || value === '0' || value === 'off') return null;
  const match = /^(\d+)(?:\/(\d+(?:\.\d+)?))?$/.exec(value);
  const users = Number(match?.[1]);
  const seconds = match?.[2] === undefined ? DEFAULT_RATE_LIMIT.windowMs / 1000 : Number(match[2]);
  if (!match || users < 1 || !(seconds > 0)) {
    throw new Error(`invalid rate limit "${text}": expected USERS/SECONDS such as 20000/300, or off`);
  }
  return { users, windowMs: Math.round(seconds * 1000) };
}
