/** Arithmetic over measured values that more than one room needs (the benchmarks, the console). Pure. */

/**
 * The `p`-th percentile (0–100) of `values` by the nearest-rank method: the smallest value with at least
 * p% of the values at or below it.
 *
 * @throws RangeError for an empty array or `p` outside 0–100
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of no values');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be 0 to 100, got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}
