import { describe, expect, it } from 'vitest';
import { sampleResults } from '../report/sample.ts';
import type { Baseline } from './results.ts';
import { serialLimitBaselines, serialLimitOf, serialRate } from './serial-limit.ts';

const baseline = (id: string, perSecond: number): Baseline => ({
  id,
  name: id,
  records: 1000,
  recordBytes: 1000,
  seconds: 1000 / perSecond,
  perSecond,
  details: {},
});

// Issue 17's run of 2026-12-05 (commit 5679859): the raw tools' rates, and the pipeline's end to end.
const issueRun = [
  baseline('postgres-bulk', 10_241),
  baseline('kafka-producer', 81_037),
  baseline('kafka-consumer', 238_095),
  baseline('cassandra-insert', 17_284),
];

describe('serialRate', () => {
  it("is the issue's worked example: 1/(1/10241 + 1/81037 + 1/238095 + 1/17284) = 5,814 users/s", () => {
    const limit = serialRate([10_241, 81_037, 238_095, 17_284]);
    // The issue's rates are rounded to whole records/s; on those the sum gives 5,812.5, the issue's 5,814 came
    // from the run's unrounded rates: the same within 0.05%.
    expect(limit).toBeCloseTo(5_812.475, 2);
    expect(Math.abs(limit - 5_814) / 5_814).toBeLessThan(0.0005);
  });

  it('is the rate itself for one step, and half of it for two equal steps', () => {
    expect(serialRate([400])).toBeCloseTo(400, 9);
    expect(serialRate([400, 400])).toBeCloseTo(200, 9);
  });

  it('is below the slowest step', () => {
    expect(serialRate([100, 1_000_000])).toBeLessThan(100);
  });

  it('is 0 without steps, or with a step that measured no rate', () => {
    expect(serialRate([])).toBe(0);
    expect(serialRate([1000, 0])).toBe(0);
    expect(serialRate([1000, Number.NaN])).toBe(0);
  });
});

describe('serialLimitOf', () => {
  it("adds up the four baselines and sets the low-latency profile against it: the issue's 2,607 users/s is 0.45", () => {
    // Arrange
    const [lowLatency] = sampleResults().endToEnd;
    if (lowLatency === undefined) throw new Error('no profile in the sample');
    const profile = { ...lowLatency, sustained: { ...lowLatency.sustained, perSecond: 2_607 } };

    // Act
    const limit = serialLimitOf([...issueRun, baseline('http-fetch', 30_000)], [profile]);

    // Assert
    expect(Math.round(limit?.perSecond ?? 0)).toBe(5_812);
    expect(Object.keys(limit?.baselines ?? {})).toEqual([...serialLimitBaselines]);
    expect(limit?.endToEnd?.profile).toBe('low-latency');
    expect(limit?.endToEnd?.perSecond).toBe(2_607);
    expect(limit?.endToEnd?.fraction).toBeCloseTo(0.4485, 3);
  });

  it('leaves out the end to end when no low-latency profile ran', () => {
    const aws = sampleResults().endToEnd.filter((p) => p.id !== 'low-latency');
    const limit = serialLimitOf(issueRun, aws);
    expect(limit?.perSecond).toBeGreaterThan(0);
    expect(limit?.endToEnd).toBeUndefined();
  });

  it('is undefined when a baseline was not measured', () => {
    expect(serialLimitOf(issueRun.slice(1), [])).toBeUndefined();
  });
});
