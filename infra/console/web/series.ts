/**
 * The pipeline view's 15 minutes of history: points kept from the live snapshots, and the columns uPlot
 * draws from them (time in seconds, then one column per series, null where a stage could not be read).
 * The rates are the server's (live.ts), each from its count's own readings: a count read at a pace (a table
 * scan) would show false spikes if rates were derived here from consecutive points. Pure.
 */
import type { Latency, LiveSnapshot, StageCounts, StageRates } from '../api.ts';

/** How far back the chart reaches. */
export const windowSeconds = 15 * 60;

export interface Point {
  /** Unix time in seconds (uPlot's x unit). */
  t: number;
  counts: StageCounts;
  rates: StageRates;
  latency: Latency;
}

const toPoint = (p: { at: string; counts: StageCounts; rates: StageRates; latency: Latency }): Point => ({
  t: Date.parse(p.at) / 1000,
  counts: p.counts,
  rates: p.rates,
  latency: p.latency,
});

/**
 * The points after a snapshot: a snapshot with history (the first of a connection) replaces them, any other
 * is appended; points older than the window before the newest are dropped.
 */
export function nextPoints(
  points: readonly Point[],
  snapshot: LiveSnapshot,
  window = windowSeconds,
): Point[] {
  const base = snapshot.history ? snapshot.history.map(toPoint) : [...points];
  const latest = toPoint(snapshot);
  const last = base.at(-1);
  if (!last || last.t < latest.t) base.push(latest);
  const from = latest.t - window;
  const first = base.findIndex((p) => p.t >= from);
  return first <= 0 ? base : base.slice(first);
}

/** The counts the throughput chart draws, in its legend's order. */
export const flowStages = ['fetched', 'stored', 'published', 'cassandraRows'] as const;
export type FlowStage = (typeof flowStages)[number];

export type ChartMode = 'rates' | 'totals';

/** Total lag over the partitions, or null when it could not be read. */
export function totalLag(counts: StageCounts): number | null {
  return counts.lag === null ? null : counts.lag.reduce((sum, p) => sum + p.lag, 0);
}

/**
 * Columns for the throughput chart: time, each flow stage (its per-second rate or its running total), then
 * the consumer lag; null where a stage could not be read, or has no rate (its first reading, a count that
 * went down).
 */
export function throughputColumns(
  points: readonly Point[],
  mode: ChartMode,
): [number[], ...(number | null)[][]] {
  const time = points.map((p) => p.t);
  const stages = flowStages.map((stage) =>
    points.map((p) => (mode === 'totals' ? p.counts[stage] : p.rates[stage])),
  );
  return [time, ...stages, points.map((p) => totalLag(p.counts))];
}

/** Columns for the latency chart: time, p50 and p99 in milliseconds. */
export function latencyColumns(points: readonly Point[]): [number[], (number | null)[], (number | null)[]] {
  return [points.map((p) => p.t), points.map((p) => p.latency.p50Ms), points.map((p) => p.latency.p99Ms)];
}
