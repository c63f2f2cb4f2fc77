/**
 * Finding the highest rate the pipeline holds, with short probes, before the long run that confirms it. A probe
 * only says "held" or "not": the search first brackets the answer between a rate that held and one that did
 * not, stepping down from the candidate while probes fail and up while they hold, then halves the bracket.
 * Stepping only down, as the benchmark did before, reported the first rate under the candidate that held: a
 * candidate that held was never raised, and one that failed dropped the answer by up to 30%. When the long run
 * then fails, {@link nextSustainRate} picks the rate of the next one from what the pipeline drained meanwhile.
 */

export interface RateSearch {
  /** The first rate probed. */
  candidate: number;
  /** Probes that bracket the answer at most; each steps by `step` (down) or `1 / step` (up). */
  bracketProbes: number;
  /** Probes that halve the bracket once it is found. */
  refineProbes: number;
  /** The factor of a step down (0.7). */
  step: number;
}

export interface RateSearchResult {
  /** The rate to confirm: the highest that held, or, when none did, one step under the lowest tried. */
  rate: number;
  /** Whether some probe held at `rate`. */
  held: boolean;
  /** Every probe, in order. */
  probes: Array<{ rate: number; held: boolean }>;
}

/** Runs the probes (`probe` resolves whether a rate held) and returns the rate to confirm. */
export async function searchRate(
  search: RateSearch,
  probe: (rate: number) => Promise<boolean>,
): Promise<RateSearchResult> {
  const probes: RateSearchResult['probes'] = [];
  const run = async (rate: number) => {
    const held = await probe(rate);
    probes.push({ rate, held });
    return held;
  };
  let highestHeld: number | undefined;
  let lowestFailed: number | undefined;
  let rate = search.candidate;
  for (let i = 0; i < search.bracketProbes; i++) {
    if (await run(rate)) highestHeld = Math.max(highestHeld ?? 0, rate);
    else lowestFailed = Math.min(lowestFailed ?? Number.POSITIVE_INFINITY, rate);
    if (highestHeld !== undefined && lowestFailed !== undefined) break;
    rate = highestHeld === undefined ? rate * search.step : rate / search.step;
  }
  if (highestHeld !== undefined && lowestFailed !== undefined) {
    let [low, high] = [highestHeld, lowestFailed];
    for (let i = 0; i < search.refineProbes; i++) {
      const middle = (low + high) / 2;
      if (await run(middle)) low = middle;
      else high = middle;
    }
    highestHeld = low;
  }
  // No probe held: one step under the lowest tried (the candidate itself when there were no probes).
  if (highestHeld === undefined) return { rate, held: false, probes };
  return { rate: highestHeld, held: true, probes };
}

/** A sustained attempt that did not hold, as {@link nextSustainRate} reads it. */
export interface FailedAttempt {
  /** The rate the load offered. */
  offered: number;
  /** Users committed per second over the attempt. */
  achieved: number;
  /** The backlog's trend over the attempt, in users per second (positive: it grew). */
  slopePerSecond: number;
}

/** Shares {@link nextSustainRate} works with. */
export const sustainRetry = {
  /**
   * The next attempt offers this share of what the pipeline drained during the failed one; since nothing drains
   * more than was offered, that is always less than the rate that failed.
   */
  margin: 0.95,
  /** At least this share of the failed rate, so one disturbed attempt cannot drag the answer far down. */
  floor: 0.6,
};

/**
 * The rate the next sustained attempt offers after one that did not hold. During the failed attempt the
 * pipeline drained what was committed less the backlog's growth, so that is what it carries when it is the
 * bottleneck; the next attempt offers a little under it. A fixed step down (80%, as before) gave away up to a
 * fifth: a run whose probes held at 2,755 users/s failed its two minutes there with the backlog growing by
 * 160 users/s (2,595 drained), and the rate reported was the 2,204 that held next.
 */
export function nextSustainRate(failed: FailedAttempt, bounds = sustainRetry): number {
  const drained = Math.min(failed.achieved, failed.offered) - Math.max(0, failed.slopePerSecond);
  return Math.max(bounds.floor * failed.offered, bounds.margin * drained);
}
