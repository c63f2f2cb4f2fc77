import { describe, expect, it } from 'vitest';
import {
  bestOfRounds,
  hopLatency,
  isFlat,
  latencySummary,
  percentile,
  perSecond,
  slope,
  spanRate,
} from './measure.ts';
import type { Baseline } from './results.ts';

describe('percentile', () => {
  it('takes the nearest rank: the smallest value with at least p% at or below it', () => {
    const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 95)).toBe(10);
    expect(percentile(values, 10)).toBe(1);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile(values, 100)).toBe(10);
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    expect(values).toEqual([3, 1, 2]);
  });

  it('refuses no values and a p outside 0 to 100', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(/0 to 100/);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });

  it('summarizes p50, p95, p99 and max of 1..1000', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(latencySummary(values)).toEqual({ p50: 500, p95: 950, p99: 990, max: 1000 });
  });
});

describe('slope and isFlat', () => {
  it('fits a line by least squares', () => {
    expect(slope([0, 1, 2, 3].map((x) => ({ x, y: 2 * x + 7 })))).toBeCloseTo(2);
    expect(slope([{ x: 1, y: 5 }])).toBe(0);
    expect(slope([1, 1, 1].map((x) => ({ x, y: x })))).toBe(0);
  });

  it('calls a backlog that grows with the arrivals growing, and one that hovers flat', () => {
    const growing = Array.from({ length: 20 }, (_, i) => ({ seconds: i * 2, lag: i * 2 * 100 }));
    const hovering = Array.from({ length: 20 }, (_, i) => ({ seconds: i * 2, lag: 300 + (i % 3) * 50 }));
    expect(isFlat(growing, 1000)).toEqual({ flat: false, slopePerSecond: expect.closeTo(100, 5) });
    expect(isFlat(hovering, 1000).flat).toBe(true);
  });

  it('calls a backlog that ends more than the allowed seconds behind not flat, even without a trend', () => {
    const stuck = Array.from({ length: 10 }, (_, i) => ({ seconds: i, lag: 8000 }));
    expect(isFlat(stuck, 1000, { maxSecondsBehind: 5 }).flat).toBe(false);
    expect(isFlat(stuck, 1000, { maxSecondsBehind: 10 }).flat).toBe(true);
  });
});

describe('spanRate and perSecond', () => {
  it('divides the rows after the first by the span of their write times', () => {
    // 11 writes, one every 100 ms (in microseconds): 10 intervals in 1 s.
    const times = Array.from({ length: 11 }, (_, i) => 1_700_000_000_000_000 + i * 100_000);
    expect(spanRate(times)).toEqual({ rows: 11, seconds: 1, perSecond: 10 });
    expect(spanRate(times.map(BigInt)).perSecond).toBe(10);
  });

  it('has no rate with fewer than two rows', () => {
    expect(spanRate([5])).toEqual({ rows: 1, seconds: 0, perSecond: 0 });
    expect(perSecond(10, 0)).toBe(0);
  });
});

describe('bestOfRounds', () => {
  const round = (perSecond: number, id = 'cassandra-insert'): Baseline => ({
    id,
    name: 'a raw tool',
    records: 1000,
    recordBytes: 1028,
    seconds: 1000 / perSecond,
    perSecond,
    details: { keyspace: `ks${perSecond}` },
  });

  it("keeps the fastest round, with every round's rate and which one it was", () => {
    expect(bestOfRounds([round(7480.4), round(19506.6)])).toEqual({
      ...round(19506.6),
      details: { keyspace: 'ks19506.6', roundsPerSecond: '7480, 19507', bestRound: 2 },
    });
    expect(bestOfRounds([round(300), round(200)]).details).toMatchObject({ keyspace: 'ks300', bestRound: 1 });
  });

  it('keeps the first of equal rounds, and a single round as it is but for the two details', () => {
    expect(bestOfRounds([round(5), round(5)]).details.bestRound).toBe(1);
    expect(bestOfRounds([round(5)])).toEqual({
      ...round(5),
      details: { keyspace: 'ks5', roundsPerSecond: '5', bestRound: 1 },
    });
  });

  it('refuses no rounds, and rounds of different baselines', () => {
    expect(() => bestOfRounds([])).toThrow(RangeError);
    expect(() => bestOfRounds([round(1), round(2, 'kafka-producer')])).toThrow(
      /different baselines \(cassandra-insert, kafka-producer\)/,
    );
  });
});

describe('hopLatency', () => {
  it("splits each user's path at its record's Kafka timestamp", () => {
    const commits = new Map([
      ['a', 1_000],
      ['b', 2_000],
    ]);
    const kafkaAt = new Map([
      ['a', 1_010],
      ['b', 2_030],
    ]);
    // Write times in µs: a's row 50 ms after its record, b's 20 ms.
    const written = new Map([
      ['a', 1_060_000],
      ['b', 2_050_000],
    ]);
    const hops = hopLatency(commits, kafkaAt, written);
    expect(hops?.users).toBe(2);
    expect(hops?.toKafka.p99).toBe(30);
    expect(hops?.toRow.p99).toBe(50);
    expect(hops?.toKafka.p50).toBeGreaterThanOrEqual(10);
    expect(hops?.toKafka.p50).toBeLessThanOrEqual(30);
  });

  it('leaves out users missing a time, clamps a hop that reads below 0, and is undefined with nobody left', () => {
    const commits = new Map([
      ['a', 1_000],
      ['b', 2_000],
      ['c', 3_000],
    ]);
    // b has no record, c no row; a's record reads 5 ms before its commit (a clock step).
    const hops = hopLatency(
      commits,
      new Map([
        ['a', 995],
        ['c', 3_010],
      ]),
      new Map([
        ['a', 1_020_000],
        ['b', 2_100_000],
      ]),
    );
    expect(hops).toEqual({
      users: 1,
      toKafka: { p50: 0, p95: 0, p99: 0 },
      toRow: { p50: 25, p95: 25, p99: 25 },
    });
    expect(hopLatency(commits, new Map(), new Map())).toBeUndefined();
  });
});
