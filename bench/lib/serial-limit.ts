/**
 * The serial limit (issue 17), pure: how fast one machine can carry users through every stage when all of them
 * share its cores. Each user costs 1/r seconds of the machine at each raw tool's own speed r (PostgreSQL's bulk
 * insert, Kafka's producer and consumer, the Cassandra loop); added up, those costs give the most users per
 * second the stages can take together, whatever the code does. End to end is reported as a fraction of it.
 */
import type { Baseline, Profile, SerialLimit } from './results.ts';

/** The raw baselines the limit adds up, by id: one per hop a user takes. */
export const serialLimitBaselines = [
  'postgres-bulk',
  'kafka-producer',
  'kafka-consumer',
  'cassandra-insert',
] as const;

/** The end-to-end profile set against the limit: the one the latency targets are taken on. */
export const serialLimitProfile = 'low-latency';

/**
 * 1 / Σ (1 / rate): the rate of doing each step once, one after the other, on the same machine.
 *
 * @returns 0 when there are no rates or one of them is not positive (a step that did not run has no cost to add)
 */
export function serialRate(rates: readonly number[]): number {
  if (rates.length === 0 || rates.some((r) => !(r > 0) || !Number.isFinite(r))) return 0;
  return 1 / rates.reduce((sum, r) => sum + 1 / r, 0);
}

/**
 * The run's serial limit from its baselines (each already the faster of its rounds), and the low-latency
 * profile's sustained rate as a fraction of it.
 *
 * @returns undefined when one of {@link serialLimitBaselines} was not measured (a run of one phase)
 */
export function serialLimitOf(
  baselines: readonly Baseline[],
  endToEnd: readonly Profile[],
): SerialLimit | undefined {
  const rates: Record<string, number> = {};
  for (const id of serialLimitBaselines) {
    const baseline = baselines.find((b) => b.id === id);
    if (baseline === undefined) return undefined;
    rates[id] = baseline.perSecond;
  }
  const perSecond = serialRate(Object.values(rates));
  const profile = endToEnd.find((p) => p.id === serialLimitProfile);
  return {
    perSecond,
    baselines: rates,
    ...(profile === undefined
      ? {}
      : {
          endToEnd: {
            profile: profile.id,
            perSecond: profile.sustained.perSecond,
            fraction: perSecond > 0 ? profile.sustained.perSecond / perSecond : 0,
          },
        }),
  };
}
