/**
 * The benchmark's targets, pure: every goal, written once here, and the run measured against them. They are
 * goals the report shows, not test assertions. The pipeline's are issue 17's (the sink against the raw
 * Cassandra loop and against the Spark peer, end to end against the serial limit, the low-latency profile's
 * latency at 50% load); the console's are issue 15's. A new target is a goal in {@link goals} and a row in
 * {@link pipelineTargets}.
 */
import type { ConsolePhase, Results, Target } from './results.ts';
import { serialLimitProfile } from './serial-limit.ts';

/** The goals, each in its target's unit (a ratio, or milliseconds). */
export const goals = {
  /** sink-users ÷ the raw cassandra-driver loop. */
  sinkVsCassandra: 0.6,
  /** The low-latency profile's sustained rate ÷ the serial limit. */
  e2eVsSerialLimit: 0.8,
  /** The low-latency profile at 50% of its sustained rate: p50 and p99, in ms. */
  lowLatencyP50Ms: 75,
  lowLatencyP99Ms: 300,
  /** sink-users ÷ the Spark parity job's steady rows/s, measured in the same run (bench/peer-spark.ts). */
  sinkVsSpark: 2,
  /** The sink with the console running ÷ without: the console's polling costs at most 2%. */
  consoleCost: 0.98,
  /** The console page's first contentful paint, in ms. */
  consoleFirstPaintMs: 1000,
} as const;

/** A target measured against its goal; `met` follows from the comparison. */
export function target(
  id: string,
  description: string,
  measured: number,
  goal: number,
  comparison: '>=' | '<=',
  unit: 'x' | 'ms',
): Target {
  return {
    id,
    description,
    measured,
    goal,
    comparison,
    unit,
    met: comparison === '>=' ? measured >= goal : measured <= goal,
  };
}

/**
 * The pipeline's targets, from a run's baselines (each the faster of its rounds), stages, profiles and serial
 * limit. A figure that was not measured counts as 0, so its target shows as missed rather than vanishing.
 */
export function pipelineTargets(
  run: Pick<Results, 'baselines' | 'stages' | 'sparkPeer' | 'endToEnd' | 'serialLimit'>,
): Target[] {
  const rate = (list: ReadonlyArray<{ id: string; perSecond: number }>, id: string) =>
    list.find((x) => x.id === id)?.perSecond ?? 0;
  const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
  const sink = rate(run.stages, 'sink');
  const lowLatency = run.endToEnd.find((p) => p.id === serialLimitProfile);
  const half = lowLatency?.latency.find((l) => l.loadFraction === 0.5);
  return [
    target(
      'sink-vs-cassandra',
      'sink-users ÷ raw cassandra-driver loop',
      ratio(sink, rate(run.baselines, 'cassandra-insert')),
      goals.sinkVsCassandra,
      '>=',
      'x',
    ),
    target(
      'sink-vs-spark',
      'sink-users ÷ Spark parity job (steady rows/s)',
      run.sparkPeer?.sinkRatio ?? 0,
      goals.sinkVsSpark,
      '>=',
      'x',
    ),
    target(
      'e2e-vs-serial-limit',
      `end-to-end sustained (${serialLimitProfile} profile) ÷ serial limit`,
      run.serialLimit?.endToEnd?.fraction ?? 0,
      goals.e2eVsSerialLimit,
      '>=',
      'x',
    ),
    target(
      'low-latency-p50',
      'low-latency profile, 50% load: p50 (ms)',
      half?.p50 ?? 0,
      goals.lowLatencyP50Ms,
      '<=',
      'ms',
    ),
    target(
      'low-latency-p99',
      'low-latency profile, 50% load: p99 (ms)',
      half?.p99 ?? 0,
      goals.lowLatencyP99Ms,
      '<=',
      'ms',
    ),
  ];
}

/** The console phase's two targets: its cost to the sink, and its page's first paint when it was measured. */
export function consoleTargets(phase: ConsolePhase): Target[] {
  const targets = [
    target(
      'console-cost',
      'sink with the console running ÷ without (median of ABBA pairs)',
      phase.medianRatio,
      goals.consoleCost,
      '>=',
      'x',
    ),
  ];
  const paint = phase.firstPaint.firstContentfulPaintMs;
  if (paint !== null) {
    targets.push(
      target(
        'console-first-paint',
        "console page's first contentful paint (ms)",
        paint,
        goals.consoleFirstPaintMs,
        '<=',
        'ms',
      ),
    );
  }
  return targets;
}
