/** The benchmark's arithmetic: rates, percentiles, lag trends. Pure. */

import { percentile } from '../../lib/stats.ts';
import type { Baseline, HopSummary } from './results.ts';

export { percentile };

/** Items per second; 0 for an empty or zero-length interval. */
export function perSecond(count: number, seconds: number): number {
  return seconds > 0 ? count / seconds : 0;
}

/** p50, p95, p99 and the maximum of `values`. */
export function latencySummary(values: readonly number[]): {
  p50: number;
  p95: number;
  p99: number;
  max: number;
} {
  return {
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: percentile(values, 100),
  };
}

/**
 * Each user's path split at its Kafka record's timestamp: outbox commit → Kafka (the relay's claim and send), and
 * Kafka → its row's write time (the event source's fetch and window, the sink's invocation, the write). Users
 * missing either time are left out; a clock step between the two can make a hop read below 0, so it is clamped.
 *
 * @param commits user id → outbox commit, ms
 * @param kafkaAt user id → record timestamp, ms
 * @param writtenMicros user id → the row's `WRITETIME`, µs
 * @returns undefined when no user has all three times
 */
export function hopLatency(
  commits: ReadonlyMap<string, number>,
  kafkaAt: ReadonlyMap<string, number>,
  writtenMicros: ReadonlyMap<string, number>,
): { toKafka: HopSummary; toRow: HopSummary; users: number } | undefined {
  const toKafka: number[] = [];
  const toRow: number[] = [];
  for (const [id, committedAt] of commits) {
    const sent = kafkaAt.get(id);
    const written = writtenMicros.get(id);
    if (sent === undefined || written === undefined) continue;
    toKafka.push(Math.max(0, sent - committedAt));
    toRow.push(Math.max(0, written / 1000 - sent));
  }
  if (toKafka.length === 0) return undefined;
  const hop = (values: number[]): HopSummary => {
    const { p50, p95, p99 } = latencySummary(values);
    return { p50, p95, p99 };
  };
  return { toKafka: hop(toKafka), toRow: hop(toRow), users: toKafka.length };
}

/** Least-squares slope of y over x; 0 with fewer than two distinct x. */
export function slope(points: ReadonlyArray<{ x: number; y: number }>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * Whether a backlog stayed flat at an offered rate: its trend grows by at most `tolerance` of the offered
 * rate (2% by default, i.e. the pipeline keeps up with 98% of what arrives), and it ends no larger than
 * `maxSecondsBehind` seconds of arrivals. The first samples, while the pipeline warms up, are the caller's
 * to leave out.
 */
export function isFlat(
  samples: ReadonlyArray<{ seconds: number; lag: number }>,
  offeredPerSecond: number,
  opts: { tolerance?: number; maxSecondsBehind?: number } = {},
): { flat: boolean; slopePerSecond: number } {
  const slopePerSecond = slope(samples.map((s) => ({ x: s.seconds, y: s.lag })));
  const last = samples.at(-1)?.lag ?? 0;
  const flat =
    slopePerSecond <= (opts.tolerance ?? 0.02) * offeredPerSecond &&
    last <= (opts.maxSecondsBehind ?? 5) * offeredPerSecond;
  return { flat, slopePerSecond };
}

/**
 * The rate of a write phase from the server's own write times (Cassandra's `WRITETIME`, in microseconds):
 * rows over the span from the first write to the last. It leaves out start-up and polling, which are not
 * the stage's throughput. With fewer than two rows there is no span, and the rate is 0.
 */
export function spanRate(writeTimesMicros: readonly bigint[] | readonly number[]): {
  rows: number;
  seconds: number;
  perSecond: number;
} {
  const rows = writeTimesMicros.length;
  if (rows < 2) return { rows, seconds: 0, perSecond: 0 };
  let min = Number(writeTimesMicros[0]);
  let max = min;
  for (const t of writeTimesMicros) {
    const v = Number(t);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const seconds = (max - min) / 1e6;
  return { rows, seconds, perSecond: perSecond(rows - 1, seconds) };
}

/**
 * The best of several rounds of one raw baseline: the round with the highest rate, its details extended with
 * every round's rate (`roundsPerSecond`, in the order run) and which round it was (`bestRound`, from 1).
 * Raw tools are measured at the start of a run and again at its end, because servers that have only just
 * started run their first minute with a cold JIT (a raw Cassandra loop went from 7,400 to 19,500 rows/s over
 * its first 300,000 rows): taking the best keeps a cold server from flattering the ratios.
 *
 * @throws RangeError for no rounds, or rounds of different baselines
 */
export function bestOfRounds(rounds: readonly Baseline[]): Baseline {
  const [first] = rounds;
  if (first === undefined) throw new RangeError('bestOfRounds: no rounds');
  if (rounds.some((r) => r.id !== first.id)) {
    throw new RangeError(
      `bestOfRounds: rounds of different baselines (${rounds.map((r) => r.id).join(', ')})`,
    );
  }
  let best = first;
  let bestRound = 1;
  rounds.forEach((r, i) => {
    if (r.perSecond > best.perSecond) {
      best = r;
      bestRound = i + 1;
    }
  });
  return {
    ...best,
    details: {
      ...best.details,
      roundsPerSecond: rounds.map((r) => Math.round(r.perSecond)).join(', '),
      bestRound,
    },
  };
}
