import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LiveSnapshot, StageCounts } from './api.ts';
import { Ring, stageCounts, stageRates, startLiveFeed } from './live.ts';

const counts = (over: Partial<StageCounts> = {}): StageCounts => ({
  fetched: 0,
  stored: 0,
  outboxPending: 0,
  outboxDead: 0,
  published: 0,
  lag: [],
  cassandraRows: 0,
  deadLetters: 0,
  busPending: 0,
  busDeadLettered: 0,
  ...over,
});

/** A clock that moves one second each time it is read, starting at 1 s. */
function ticking(): () => Date {
  let t = 0;
  return () => {
    t += 1000;
    return new Date(t);
  };
}

describe('stageCounts', () => {
  it('turns stages that could not be read, and counts that are not numbers, into null', () => {
    expect(stageCounts({ fetched: Number.NaN, stored: 5, lag: [{ partition: 0, lag: 2 }] })).toEqual({
      fetched: null,
      stored: 5,
      outboxPending: null,
      outboxDead: null,
      published: null,
      lag: [{ partition: 0, lag: 2 }],
      cassandraRows: null,
      deadLetters: null,
      busPending: null,
      busDeadLettered: null,
    });
  });
});

describe('stageRates', () => {
  it('divides what each growing count gained by the seconds between the readings', () => {
    const rates = stageRates(
      counts({ stored: 100, cassandraRows: 50 }),
      counts({ stored: 300, cassandraRows: 50 }),
      2,
    );

    expect(rates).toEqual({ fetched: 0, stored: 100, published: 0, cassandraRows: 0, deadLetters: 0 });
  });

  it('has no rate where a reading lacks the count, where it went down, or without time between', () => {
    const before = counts({ stored: null, published: 10 });
    const after = counts({ stored: 5, published: 4 });

    expect(stageRates(before, after, 1)).toMatchObject({ stored: null, published: null, fetched: 0 });
    expect(stageRates(after, after, 0)).toMatchObject({ stored: null, fetched: null });
  });
});

describe('Ring', () => {
  it('keeps the last items, oldest first', () => {
    const ring = new Ring<number>(3);
    for (const n of [1, 2, 3, 4, 5]) ring.push(n);

    expect(ring.items()).toEqual([3, 4, 5]);
    expect(ring.size).toBe(3);
  });

  it('holds fewer than its capacity until full', () => {
    const ring = new Ring<number>(900);
    ring.push(1);

    expect(ring.items()).toEqual([1]);
  });
});

describe('startLiveFeed', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads every interval, sends the history once per subscriber, and rates from consecutive readings', async () => {
    vi.useFakeTimers();
    const clock = ticking();
    let stored = 0;
    const seen: LiveSnapshot[] = [];
    const feed = startLiveFeed({
      read: async () => {
        stored += 10;
        return counts({ stored });
      },
      latency: () => ({ p50Ms: 5, p99Ms: 9, samples: 2 }),
      errors: () => [],
      functionLogs: false,
      now: clock,
      intervalMs: 1000,
      historyPoints: 2,
    });
    feed.subscribe((s) => seen.push(s));

    await vi.advanceTimersByTimeAsync(3000);
    feed.stop();

    expect(seen).toHaveLength(3);
    expect(seen[0]?.history).toHaveLength(1);
    expect(seen[1]?.history).toBeUndefined();
    expect(seen[2]?.rates.stored).toBe(10);
    expect(seen[2]?.functionLogs).toBe(false);
    expect(feed.latest()?.counts.stored).toBe(30);
  });

  it('gives a late subscriber the newest snapshot at once, with the last points of history', async () => {
    const clock = ticking();
    const feed = startLiveFeed({
      read: async () => counts(),
      latency: () => ({ p50Ms: null, p99Ms: null, samples: 0 }),
      errors: () => [],
      functionLogs: true,
      now: clock,
      intervalMs: 60_000,
      historyPoints: 2,
    });
    for (let i = 0; i < 3; i++) await feed.tick();
    const seen: LiveSnapshot[] = [];

    feed.subscribe((s) => seen.push(s));
    feed.stop();

    expect(seen[0]?.history?.map((p) => p.at)).toEqual([
      new Date(2000).toISOString(),
      new Date(3000).toISOString(),
    ]);
  });
});
