import { describe, expect, it } from 'vitest';
import type { PipelineError } from '../../lib/errors.ts';
import { TransientError, ValidationError } from './errors.ts';
import { RetriesExhaustedError, type RetryClock, retryDelay, withRetry } from './retry.ts';

const policy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 };

/** A clock whose sleeps advance time at once, recording each wait. */
function fakeClock(randomValue = 0.5): RetryClock & { waits: number[]; time: number } {
  const clock = {
    time: 1_000_000,
    waits: [] as number[],
    now: () => clock.time,
    sleep: async (ms: number) => {
      clock.waits.push(ms);
      clock.time += ms;
    },
    random: () => randomValue,
  };
  return clock;
}

class RateLimited extends TransientError {
  readonly retryAfterMs = 3_000;
}

describe('retryDelay', () => {
  it('draws below a ceiling that doubles per retry up to the maximum', () => {
    const ceilings = [1, 2, 3, 4, 5, 6].map((retry) =>
      retryDelay(new TransientError('x'), retry, policy, () => 0.999999),
    );

    expect(ceilings).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('is full jitter: a random draw of 0 waits not at all', () => {
    expect(retryDelay(new TransientError('x'), 3, policy, () => 0)).toBe(0);
  });

  it('honours Retry-After as a floor, with up to one base delay of jitter', () => {
    expect(retryDelay(new RateLimited('429'), 1, policy, () => 0)).toBe(3_000);
    expect(retryDelay(new RateLimited('429'), 1, policy, () => 0.5)).toBe(3_050);
  });
});

describe('withRetry', () => {
  it('retries retryable errors and returns the first success', async () => {
    const clock = fakeClock();
    const attempts: number[] = [];

    const result = await withRetry(
      'op',
      async (attempt) => {
        attempts.push(attempt);
        if (attempt < 3) throw new TransientError('flaky');
        return 'done';
      },
      { policy, clock },
    );

    expect(result).toBe('done');
    expect(attempts).toEqual([1, 2, 3]);
    expect(clock.waits).toEqual([50, 100]);
  });

  it('does not retry an error that is not retryable', async () => {
    const clock = fakeClock();
    let calls = 0;

    const failing = withRetry(
      'op',
      async () => {
        calls++;
        throw new ValidationError('bad', 'here');
      },
      { policy, clock },
    );

    await expect(failing).rejects.toBeInstanceOf(ValidationError);
    expect(calls).toBe(1);
    expect(clock.waits).toEqual([]);
  });

  it('does not retry plain errors, which say nothing about retrying', async () => {
    let calls = 0;

    await expect(
      withRetry(
        'op',
        async () => {
          calls++;
          throw new Error('boom');
        },
        { policy, clock: fakeClock() },
      ),
    ).rejects.toThrow('boom');
    expect(calls).toBe(1);
  });

  it('gives up after maxAttempts with the last error as the cause', async () => {
    const clock = fakeClock();
    const last = new TransientError('still down', { code: 'DOWN' });

    const error = await withRetry(
      'GET page 1',
      async () => {
        throw last;
      },
      { policy, clock },
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(error).toMatchObject({ attempts: 4, code: 'DOWN', retryable: true, cause: last });
    expect((error as PipelineError).message).toMatch(/GET page 1 failed after 4 attempts.*still down/);
    expect(clock.waits).toHaveLength(3);
  });

  it('stops before a wait that would end past the deadline', async () => {
    const clock = fakeClock();
    let calls = 0;

    const error = await withRetry(
      'op',
      async () => {
        calls++;
        throw new RateLimited('429');
      },
      { policy, clock, deadline: clock.time + 5_000 },
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as Error).message).toMatch(/no time left/);
    expect(calls).toBe(2);
    expect(clock.waits).toEqual([3_050]);
  });

  it('reports each retry before waiting', async () => {
    const seen: { attempt: number; delayMs: number }[] = [];

    await withRetry(
      'op',
      async (attempt) => {
        if (attempt === 1) throw new TransientError('once');
        return attempt;
      },
      { policy, clock: fakeClock(0), onRetry: ({ attempt, delayMs }) => seen.push({ attempt, delayMs }) },
    );

    expect(seen).toEqual([{ attempt: 1, delayMs: 0 }]);
  });
});
