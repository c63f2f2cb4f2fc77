/**
 * The console phase's arithmetic: the order of its rounds and the ratio it reports. Pure.
 *
 * The rounds alternate the console off and on in an ABBA order (off, on, on, off, off, on, ...), so a drift
 * that runs through the phase (the table growing by a round's rows each time, the servers warming) weighs on
 * both conditions alike instead of on whichever ran later. Each consecutive two rounds form a pair, one of
 * each; the phase reports the median over the pairs of on ÷ off, which one disturbed round cannot move far.
 */

/** Whether the console ran during a round. */
export type ConsoleState = 'off' | 'on';

/**
 * The rounds of `pairs` pairs in ABBA order: pair 1 is off, on; pair 2 on, off; pair 3 off, on; and so on.
 *
 * @throws RangeError when `pairs` is not a positive integer
 */
export function abbaSchedule(pairs: number): ConsoleState[] {
  if (!Number.isInteger(pairs) || pairs < 1) throw new RangeError(`pairs must be ≥ 1, got ${pairs}`);
  return Array.from({ length: pairs }, (_, i): ConsoleState[] =>
    i % 2 === 0 ? ['off', 'on'] : ['on', 'off'],
  ).flat();
}

/**
 * On ÷ off of each pair of consecutive rounds, in order. A pair whose off round measured no rate has no
 * ratio worth showing and counts as 0, as the other ratios of the benchmark do.
 *
 * @throws RangeError for an odd number of rounds, or a pair that is not one off and one on round
 */
export function pairRatios(rounds: ReadonlyArray<{ console: ConsoleState; perSecond: number }>): number[] {
  if (rounds.length % 2 !== 0) throw new RangeError(`rounds come in pairs, got ${rounds.length}`);
  const ratios: number[] = [];
  for (let i = 0; i < rounds.length; i += 2) {
    const pair = [rounds[i], rounds[i + 1]];
    const off = pair.find((r) => r?.console === 'off');
    const on = pair.find((r) => r?.console === 'on');
    if (off === undefined || on === undefined) {
      throw new RangeError(`rounds ${i + 1} and ${i + 2} are not one off and one on round`);
    }
    ratios.push(off.perSecond > 0 ? on.perSecond / off.perSecond : 0);
  }
  return ratios;
}

/**
 * The median of `values`: the middle value, or the mean of the two middle values of an even count (with two
 * or four pairs, the nearest-rank percentile would always pick the lower one).
 *
 * @throws RangeError for no values
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * CPU milliseconds per second over several spans: total CPU over total wall time, so a longer round weighs
 * more than a short one. 0 when no time passed.
 */
export function cpuMsPerSecond(spans: ReadonlyArray<{ cpuMs: number; seconds: number }>): number {
  const seconds = spans.reduce((s, x) => s + x.seconds, 0);
  return seconds > 0 ? spans.reduce((s, x) => s + x.cpuMs, 0) / seconds : 0;
}

/** What the phase reads at each end of a round. */
export interface RoundReading {
  /** When, in ms (any clock, the same for both ends). */
  atMs: number;
  /** CPU ms of the console's process so far (0 when none ran). */
  consoleMs: number;
  /** CPU ms of Cassandra so far: where the console's counts, scans of whole tables, cost the most. */
  cassandraMs: number;
  /** CPU ms of every watched process so far, the console's included. */
  watchedMs: number;
  /** CPU ms the machine's cores have been busy so far. */
  machineBusyMs: number;
  /** When the sink's bundle was last written; undefined when it has not been. */
  bundleStamp: number | undefined;
}

/** What a round used between its two readings. */
export interface RoundUse {
  seconds: number;
  consoleCpuMs: number;
  cassandraCpuMs: number;
  /** Busy CPU of the machine outside the watched processes: other work that shared the machine. */
  otherCpuMs: number;
  /** Whether the functions were rebuilt (and serverless-offline's workers dropped) during the round. */
  rebuilt: boolean;
}

/** The use of a round from its readings at start and end. */
export function roundUse(start: RoundReading, end: RoundReading): RoundUse {
  return {
    seconds: Math.max(0, (end.atMs - start.atMs) / 1000),
    consoleCpuMs: Math.max(0, end.consoleMs - start.consoleMs),
    cassandraCpuMs: Math.max(0, end.cassandraMs - start.cassandraMs),
    // The two counters are sampled a few milliseconds apart; a negative remainder is that skew, not work.
    otherCpuMs: Math.max(0, end.machineBusyMs - start.machineBusyMs - (end.watchedMs - start.watchedMs)),
    rebuilt: end.bundleStamp !== start.bundleStamp,
  };
}
