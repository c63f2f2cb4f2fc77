import { describe, expect, it } from 'vitest';
import { describeSpeed, probeSpeed, speedDefaults, speedSpread } from './speed.ts';

/** A clock that advances by the given steps, one per call. */
function clock(...steps: number[]): () => number {
  let at = 0;
  let call = 0;
  return () => {
    at += steps[call++] ?? 0;
    return at;
  };
}

describe('probeSpeed', () => {
  it('returns the fastest repeat of the fixed work', () => {
    // Each repeat reads the clock twice: start, then end. Repeats take 30, 10 and 20 ms.
    expect(probeSpeed(3, 1, clock(0, 30, 5, 10, 5, 20))).toBe(10);
  });

  it('does the work on the real clock in a positive, finite time', () => {
    const ms = probeSpeed(1, 2);
    expect(Number.isFinite(ms)).toBe(true);
    expect(ms).toBeGreaterThan(0);
  });

  it('refuses counts that are not positive integers', () => {
    expect(() => probeSpeed(0)).toThrow(RangeError);
    expect(() => probeSpeed(1, 1.5)).toThrow(/positive integers, got 1 and 1.5/);
  });
});

describe('speedSpread', () => {
  it('is undefined without readings', () => {
    expect(speedSpread([])).toBeUndefined();
  });

  it('sets the slowest reading against the fastest', () => {
    const spread = speedSpread([
      { phase: 'baselines', probeMs: 60 },
      { phase: 'stages', probeMs: 78 },
      { phase: 'baselines again', probeMs: 62 },
    ]);
    expect(spread).toEqual({ fastestMs: 60, slowestMs: 78, spread: expect.closeTo(0.3, 10), readings: 3 });
  });
});

describe('describeSpeed', () => {
  it('says how far the readings spread, without a warning at or under the threshold', () => {
    const described = describeSpeed({ fastestMs: 60, slowestMs: 69, spread: 0.15, readings: 24 });
    expect(described).toEqual({
      line: 'Machine speed: the probe took 60 to 69 ms over 24 readings (spread 15%)',
    });
  });

  it('warns above the threshold that ratios across phases are suspect', () => {
    const described = describeSpeed({ fastestMs: 60, slowestMs: 78, spread: 0.3, readings: 2 });
    expect(described.line).toBe('Machine speed: the probe took 60 to 78 ms over 2 readings (spread 30%)');
    expect(described.warning).toMatch(
      /^the machine's speed moved by 30% during the run, so ratios between phases/,
    );
    expect(speedDefaults.warnAbove).toBe(0.15);
  });

  it('names a single reading in the singular', () => {
    expect(describeSpeed({ fastestMs: 60, slowestMs: 60, spread: 0, readings: 1 }).line).toContain(
      '1 reading (',
    );
  });
});
