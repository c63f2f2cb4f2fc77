import { describe, expect, it } from 'vitest';
import { sampleConsolePhase, sampleResults, sampleSparkPeer } from '../report/sample.ts';
import { serialLimitOf } from './serial-limit.ts';
import { consoleTargets, goals, pipelineTargets, target } from './targets.ts';

describe('target', () => {
  it('is met at the goal itself, in either direction', () => {
    expect(target('a', 'a', 0.6, 0.6, '>=', 'x').met).toBe(true);
    expect(target('b', 'b', 0.59, 0.6, '>=', 'x').met).toBe(false);
    expect(target('c', 'c', 75, 75, '<=', 'ms').met).toBe(true);
    expect(target('d', 'd', 76, 75, '<=', 'ms').met).toBe(false);
  });
});

describe('pipelineTargets', () => {
  it("measures issue 17's targets: the sink against the raw loop, end to end against the serial limit, latency", () => {
    // Arrange
    const run = sampleResults();
    const serialLimit = serialLimitOf(run.baselines, run.endToEnd);

    // Act
    const targets = pipelineTargets({ ...run, serialLimit });

    // Assert
    const byId = new Map(targets.map((t) => [t.id, t]));
    expect([...byId.keys()]).toEqual(
      expect.arrayContaining([
        'sink-vs-cassandra',
        'e2e-vs-serial-limit',
        'low-latency-p50',
        'low-latency-p99',
      ]),
    );
    expect(byId.get('sink-vs-cassandra')).toMatchObject({
      measured: 13_888.89 / 17_241.38,
      goal: goals.sinkVsCassandra,
      comparison: '>=',
      met: true,
    });
    expect(byId.get('e2e-vs-serial-limit')).toMatchObject({
      measured: serialLimit?.endToEnd?.fraction,
      goal: 0.8,
      comparison: '>=',
      unit: 'x',
    });
    expect(byId.get('low-latency-p50')).toMatchObject({
      measured: 47.8,
      goal: 75,
      comparison: '<=',
      met: true,
    });
    expect(byId.get('low-latency-p99')).toMatchObject({ measured: 176.5, goal: 300, met: true });
  });

  it('sets the sink against the Spark peer of the same run: its ratio, at least 2x', () => {
    const run = sampleResults();
    const slow = { ...sampleSparkPeer(), sinkRatio: 1.5 };

    const spark = pipelineTargets(run).find((t) => t.id === 'sink-vs-spark');
    const missed = pipelineTargets({ ...run, sparkPeer: slow }).find((t) => t.id === 'sink-vs-spark');
    const absent = pipelineTargets({ ...run, sparkPeer: undefined }).find((t) => t.id === 'sink-vs-spark');

    expect(spark).toMatchObject({
      measured: 13_888.89 / 5_000,
      goal: goals.sinkVsSpark,
      unit: 'x',
      met: true,
    });
    expect(goals.sinkVsSpark).toBe(2);
    expect(missed).toMatchObject({ measured: 1.5, met: false });
    expect(absent).toMatchObject({ measured: 0, met: false });
  });

  it('shows a target whose figure was not measured as missed, at 0', () => {
    const targets = pipelineTargets({ baselines: [], stages: [], endToEnd: [], serialLimit: undefined });
    expect(targets.find((t) => t.id === 'e2e-vs-serial-limit')).toMatchObject({ measured: 0, met: false });
    expect(targets.find((t) => t.id === 'sink-vs-cassandra')).toMatchObject({ measured: 0, met: false });
  });
});

describe('consoleTargets', () => {
  it("measures issue 15's two targets, the first paint only when it was measured", () => {
    const phase = sampleConsolePhase();
    expect(consoleTargets(phase).map((t) => [t.id, t.goal])).toEqual([
      ['console-cost', goals.consoleCost],
      ['console-first-paint', goals.consoleFirstPaintMs],
    ]);
    const unpainted = {
      ...phase,
      firstPaint: { firstContentfulPaintMs: null, firstSnapshotMs: null, reason: 'no chromium' },
    };
    expect(consoleTargets(unpainted).map((t) => t.id)).toEqual(['console-cost']);
  });
});
