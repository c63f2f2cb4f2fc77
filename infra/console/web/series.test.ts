import { describe, expect, it } from 'vitest';
import type { LiveSnapshot, StageCounts, StageRates } from '../api.ts';
import { latencyColumns, nextPoints, type Point, throughputColumns, totalLag } from './series.ts';

const counts = (n: number | null, lag: number[] | null = [1, 2]): StageCounts => ({
  fetched: n,
  stored: n,
  outboxPending: 0,
  outboxDead: 0,
  published: n,
  lag: lag?.map((l, partition) => ({ partition, lag: l })) ?? null,
  cassandraRows: n,
  deadLetters: 0,
  busPending: 0,
  busDeadLettered: 0,
});
const latency = { p50Ms: 10, p99Ms: 90, samples: 5 };
const rates = (n: number | null): StageRates => ({
  fetched: n,
  stored: n,
  published: n,
  cassandraRows: n,
  deadLetters: 0,
});
const at = (s: number) => new Date(s * 1000).toISOString();
const snapshot = (s: number, n: number, history?: number[]): LiveSnapshot => ({
  at: at(s),
  counts: counts(n),
  countedAt: {},
  rates: rates(0),
  latency,
  errors: [],
  functionLogs: true,
  ...(history
    ? { history: history.map((h) => ({ at: at(h), counts: counts(h), rates: rates(0), latency })) }
    : {}),
});

describe('nextPoints', () => {
  it('starts from the history of a first snapshot, then appends', () => {
    const first = nextPoints([], snapshot(103, 103, [100, 101, 102]));
    expect(first.map((p) => p.t)).toEqual([100, 101, 102, 103]);
    expect(nextPoints(first, snapshot(104, 104)).map((p) => p.t)).toEqual([100, 101, 102, 103, 104]);
  });

  it('replaces the points when a reconnection brings history again', () => {
    const before = nextPoints([], snapshot(50, 50));
    expect(nextPoints(before, snapshot(201, 201, [200])).map((p) => p.t)).toEqual([200, 201]);
  });

  it('keeps the window only, and no duplicate of a history point', () => {
    const points = nextPoints([], snapshot(1000, 1000, [0, 99, 100, 500, 1000]), 900);
    expect(points.map((p) => p.t)).toEqual([100, 500, 1000]);
  });
});

describe('throughputColumns', () => {
  const points: Point[] = [
    { t: 0, counts: counts(0), rates: rates(null), latency },
    { t: 2, counts: counts(10), rates: rates(5), latency },
    { t: 3, counts: counts(null, null), rates: rates(null), latency },
    { t: 4, counts: counts(20), rates: rates(5), latency },
    { t: 5, counts: counts(5), rates: rates(null), latency },
  ];

  it("draws the server's rates, with gaps where a stage has none", () => {
    const [time, fetched, , , , lag] = throughputColumns(points, 'rates');
    expect(time).toEqual([0, 2, 3, 4, 5]);
    expect(fetched).toEqual([null, 5, null, 5, null]);
    expect(lag).toEqual([3, 3, null, 3, 3]);
  });

  it('draws the totals as they are', () => {
    expect(throughputColumns(points, 'totals')[1]).toEqual([0, 10, null, 20, 5]);
  });

  it('sums the lag, null when unread', () => {
    expect(totalLag(counts(1, [4, 5, 6]))).toBe(15);
    expect(totalLag(counts(1, null))).toBeNull();
  });

  it('gives the latency columns', () => {
    expect(latencyColumns(points.slice(0, 2))).toEqual([
      [0, 2],
      [10, 10],
      [90, 90],
    ]);
  });
});
