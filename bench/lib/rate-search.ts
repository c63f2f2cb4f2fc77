/**
 * Finding the highest rate the pipeline holds, with short probes, before the long run that confirms it. A probe
 * only says "held" or "not": the search first brackets the answer between a rate that held and one that did
 * not, stepping down from the candidate while probes fail and up while they hold, then halves the bracket.
 * Stepping only down, as the benchmark did before, reported the first rate under the candidate that held: a
 * candidate that held was never raised, and one that failed dropped the answer by up to 30%.
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
