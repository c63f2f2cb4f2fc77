import { describe, expect, it } from 'vitest';
import {
  applyFaultsPatch,
  DEFAULT_RATE_LIMIT,
  decideFault,
  type Faults,
  NO_FAULTS,
  parseRateLimit,
  UserRateLimiter,
} from './faults.ts';

const noRandom = () => {
  throw new Error('random() should not be called');
};
const faults = (patch: Parameters<typeof applyFaultsPatch>[1]) => applyFaultsPatch(NO_FAULTS, patch);

/** Runs `n` requests through decideFault and lists the fault kinds (or 'ok'). */
function run(start: Faults, n: number, random: () => number = noRandom): string[] {
  let current = start;
  const kinds: string[] = [];
  for (let i = 0; i < n; i++) {
    const { fault, faults: next } = decideFault(current, random);
    kinds.push(fault ? (fault.kind === 'error' ? `error:${fault.status}` : fault.kind) : 'ok');
    current = next;
  }
  return kinds;
}

describe('decideFault', () => {
  it('injects nothing, and draws no randomness, without faults', () => {
    expect(run(NO_FAULTS, 3)).toEqual(['ok', 'ok', 'ok']);
  });

  it('consumes forced faults in order: fail, truncate, malformed, empty, hostile', () => {
    const start = faults({
      failNext: { count: 2, status: 500 },
      truncateNext: 1,
      malformedNext: 1,
      emptyNext: 2,
      hostileNext: 1,
    });
    expect(run(start, 9)).toEqual([
      'error:500',
      'error:500',
      'truncate',
      'malformed',
      'empty',
      'empty',
      'hostile',
      'ok',
      'ok',
    ]);
  });

  it('does not change the settings it was given', () => {
    const start = faults({ failNext: 1 });
    decideFault(start, noRandom);
    expect(start.failNext.count).toBe(1);
  });

  it('applies the rates with the random source', () => {
    expect(run(faults({ errorRate: 1, errorStatus: 502 }), 2)).toEqual(['error:502', 'error:502']);
    expect(run(faults({ emptyRate: 0.5 }), 3, sequence(0.1, 0.9, 0.49))).toEqual(['empty', 'ok', 'empty']);
    expect(
      run(faults({ truncateRate: 0.3, malformedRate: 0.3 }), 3, sequence(0.1, 0.5, 0.2, 0.9, 0.9)),
    ).toEqual(['truncate', 'malformed', 'ok']);
  });
});

function sequence(...values: number[]): () => number {
  let i = 0;
  return () => {
    const v = values[i++];
    if (v === undefined) throw new Error('sequence exhausted');
    return v;
  };
}

describe('applyFaultsPatch', () => {
  it('keeps what the patch leaves out', () => {
    const once = faults({ latencyMs: 100, emptyRate: 0.2 });
    expect(applyFaultsPatch(once, { emptyRate: 0 })).toEqual({ ...NO_FAULTS, latencyMs: 100 });
  });

  it('fails a bare failNext count with errorStatus', () => {
    expect(faults({ errorStatus: 504, failNext: 3 }).failNext).toEqual({ count: 3, status: 504 });
    expect(faults({ failNext: { count: 1 } }).failNext).toEqual({ count: 1, status: 503 });
  });

  it('turns the rate limit on and off', () => {
    expect(faults({ rateLimit: true }).rateLimit).toEqual(DEFAULT_RATE_LIMIT);
    expect(faults({ rateLimit: { users: 10 } }).rateLimit).toEqual({ users: 10, windowMs: 300_000 });
    expect(applyFaultsPatch(faults({ rateLimit: true }), { rateLimit: false }).rateLimit).toBeNull();
    expect(
      applyFaultsPatch(faults({ rateLimit: { users: 5 } }), { rateLimit: { windowMs: 1000 } }).rateLimit,
    ).toEqual({ users: 5, windowMs: 1000 });
  });

  it.each([
    [{ errorRate: 1.5 }],
    [{ errorStatus: 404 }],
    [{ failNext: { count: 1, status: 200 } }],
    [{ emptyNext: -1 }],
    [{ latencyMs: 1.5 }],
    [{ rateLimit: { users: 0 } }],
    [{ errorrate: 1 }],
  ])('rejects %j', (patch) => {
    expect(() => applyFaultsPatch(NO_FAULTS, patch as never)).toThrow();
  });
});

describe('UserRateLimiter', () => {
  const limit = { users: 10, windowMs: 60_000 };

  it('refuses once the client has been served the limit, until the window ends', () => {
    const limiter = new UserRateLimiter();
    expect(limiter.check('a', limit, 0)).toEqual({ limited: false });
    limiter.record('a', 6, limit, 0);
    expect(limiter.check('a', limit, 1000)).toEqual({ limited: false });
    limiter.record('a', 6, limit, 1000);
    expect(limiter.check('a', limit, 20_500)).toEqual({ limited: true, retryAfterSeconds: 40 });
    expect(limiter.check('b', limit, 20_500)).toEqual({ limited: false });
    expect(limiter.check('a', limit, 59_999)).toEqual({ limited: true, retryAfterSeconds: 1 });
    expect(limiter.check('a', limit, 60_000)).toEqual({ limited: false });
  });

  it('opens a new window after the old one ends', () => {
    const limiter = new UserRateLimiter();
    limiter.record('a', 10, limit, 0);
    limiter.record('a', 3, limit, 70_000);
    expect(limiter.check('a', limit, 70_001)).toEqual({ limited: false });
    limiter.record('a', 7, limit, 70_002);
    expect(limiter.check('a', limit, 70_003)).toMatchObject({ limited: true });
    limiter.clear();
    expect(limiter.check('a', limit, 70_003)).toEqual({ limited: false });
  });
});

describe('parseRateLimit', () => {
  it('reads USERS/SECONDS, USERS, and off', () => {
    expect(parseRateLimit('20000/300')).toEqual({ users: 20_000, windowMs: 300_000 });
    expect(parseRateLimit('50/0.5')).toEqual({ users: 50, windowMs: 500 });
    expect(parseRateLimit('100')).toEqual({ users: 100, windowMs: 300_000 });
    for (const off of ['', ' ', '0', 'OFF']) expect(parseRateLimit(off)).toBeNull();
  });

  it.each(['abc', '10/0', '10/', '/10', '-5/10'])('rejects %j', (text) => {
    expect(() => parseRateLimit(text)).toThrow(/invalid rate limit/);
  });
});
