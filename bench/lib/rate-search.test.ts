import { describe, expect, it } from 'vitest';
import { nextSustainRate, type RateSearch, searchRate } from './rate-search.ts';

const search: RateSearch = { candidate: 1000, bracketProbes: 5, refineProbes: 2, step: 0.7 };

/** A pipeline that holds every rate up to `capacity`. */
const upTo = (capacity: number) => async (rate: number) => rate <= capacity;

describe('searchRate', () => {
  it('steps down until a probe holds, then halves the bracket twice', async () => {
    const result = await searchRate(search, upTo(800));

    expect(result.probes.map((p) => [Math.round(p.rate), p.held])).toEqual([
      [1000, false],
      [700, true],
      [850, false],
      [775, true],
    ]);
    expect(result).toMatchObject({ rate: 775, held: true });
  });

  it('raises a candidate that holds until a probe fails, instead of reporting the candidate', async () => {
    const result = await searchRate(search, upTo(1700));

    expect(result.probes.map((p) => [Math.round(p.rate), p.held])).toEqual([
      [1000, true],
      [1429, true],
      [2041, false],
      [1735, false],
      [1582, true],
    ]);
    expect(result.rate).toBeCloseTo(1582, 0);
    expect(result.held).toBe(true);
  });

  it('keeps the highest rate that held when every probe held', async () => {
    const result = await searchRate({ ...search, bracketProbes: 3 }, upTo(1e9));

    expect(result.probes).toHaveLength(3);
    expect(result.rate).toBeCloseTo(1000 / 0.49, 6);
    expect(result.held).toBe(true);
  });

  it('goes one step under the lowest rate tried when none held', async () => {
    const result = await searchRate({ ...search, bracketProbes: 2 }, upTo(10));

    expect(result.probes.map((p) => p.held)).toEqual([false, false]);
    expect(result.rate).toBeCloseTo(1000 * 0.7 * 0.7, 6);
    expect(result.held).toBe(false);
  });

  it('confirms the candidate itself when there are no probes (a quick run)', async () => {
    const result = await searchRate({ ...search, bracketProbes: 0 }, upTo(10));

    expect(result).toEqual({ rate: 1000, held: false, probes: [] });
  });
});

describe('nextSustainRate', () => {
  it('offers 95% of what the pipeline drained while the backlog grew', () => {
    // The run that prompted it: 2,755 offered, the backlog growing by 160 users/s, so 2,595 drained.
    expect(nextSustainRate({ offered: 2755, achieved: 2755, slopePerSecond: 160 })).toBeCloseTo(0.95 * 2595);
  });

  it('always asks for less than the rate that failed, even when the backlog did not grow', () => {
    // Failed for ending too far behind, or a generator that fell behind: nothing drained less than arrived.
    expect(nextSustainRate({ offered: 2000, achieved: 2000, slopePerSecond: -30 })).toBe(1900);
  });

  it('never drops below 60% of the rate that failed', () => {
    expect(nextSustainRate({ offered: 2000, achieved: 2000, slopePerSecond: 1500 })).toBe(1200);
  });

  it('takes the drained rate from what was committed, when the generator fell behind its schedule', () => {
    expect(nextSustainRate({ offered: 2000, achieved: 1800, slopePerSecond: 100 })).toBeCloseTo(0.95 * 1700);
  });
});
