import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LiveSnapshot, StageCounts } from './api.ts';
import { stageReads } from './counts.ts';
import { countTimes, Ring, stageCounts, stageRates, startLiveFeed } from './live.ts';

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

describe('countTimes', () => {
  it('gives each count the time of the read it came from, and fetched the time of the reading', () => {
    expect(countTimes({ outbox: 5, cassandraRows: 3 }, 9)).toEqual({
      fetched: 9,
      outboxPending: 5,
      published: 5,
      outboxDead: 5,
      cassandraRows: 3,
    });
  });

  it('gives fetched no time when it is not counted', () => {
    expect(countTimes({ stored: 4 }, undefined)).toEqual({ stored: 4 });
  });
});

describe('stageRates', () => {
  const all = (at: number) => countTimes(Object.fromEntries(stageReads.map((s) => [s, at])), at);

  it("divides what each growing count gained by the time between that count's readings", () => {
    const first = stageRates({ last: {} }, counts({ stored: 100, cassandraRows: 50 }), all(1000));
    const second = stageRates(first.state, counts({ stored: 300, cassandraRows: 50 }), all(3000));

    expect(first.rates).toEqual({
      fetched: null,
      stored: null,
      published: null,
      cassandraRows: null,
      deadLetters: null,
    });
    expect(second.rates).toEqual({ fetched: 0, stored: 100, published: 0, cassandraRows: 0, deadLetters: 0 });
  });

  it('keeps a paced count at the rate between its own readings until it is read again', () => {
    let { state } = stageRates({ last: {} }, counts({ cassandraRows: 0 }), all(0));
    ({ state } = stageRates(state, counts({ cassandraRows: 600 }), all(60_000)));
    // Read again only at 120 s: the readings at 61 s and 62 s serve the 60 s value.
    const served = stageRates(state, counts({ cassandraRows: 600 }), {
      ...all(61_000),
      cassandraRows: 60_000,
    });
    const again = stageRates(served.state, counts({ cassandraRows: 600 }), {
      ...all(62_000),
      cassandraRows: 60_000,
    });
    const fresh = stageRates(again.state, counts({ cassandraRows: 1800 }), all(120_000));

    expect(served.rates.cassandraRows).toBe(10);
    expect(again.rates.cassandraRows).toBe(10);
    expect(fresh.rates.cassandraRows).toBe(20);
  });

  it('has no rate where a reading lacks the count, or where it went down', () => {
    const before = stageRates({ last: {} }, counts({ stored: null, published: 10 }), all(1000));
    const after = stageRates(before.state, counts({ stored: 5, published: 4 }), all(2000));

    expect(after.rates).toMatchObject({ stored: null, published: null, fetched: 0 });
    expect(stageRates(after.state, counts({ stored: null }), all(3000)).rates.stored).toBeNull();
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
        return { counts: counts({ stored }), times: { stored: stored * 100 } };
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
      read: async () => ({ counts: counts(), times: {} }),
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
