import { describe, expect, it } from 'vitest';
import { abbaSchedule, cpuMsPerSecond, median, pairRatios, type RoundReading, roundUse } from './abba.ts';

describe('abbaSchedule', () => {
  it('alternates the pairs: off, on, then on, off', () => {
    expect(abbaSchedule(1)).toEqual(['off', 'on']);
    expect(abbaSchedule(4)).toEqual(['off', 'on', 'on', 'off', 'off', 'on', 'on', 'off']);
  });

  it('gives each condition the same mean position, so a linear drift weighs on both alike', () => {
    const schedule = abbaSchedule(4);
    const meanIndex = (state: string) => {
      const at = schedule.flatMap((s, i) => (s === state ? [i] : []));
      return at.reduce((a, b) => a + b, 0) / at.length;
    };
    expect(meanIndex('on')).toBe(meanIndex('off'));
  });

  it('refuses no pairs and a fraction of one', () => {
    expect(() => abbaSchedule(0)).toThrow(RangeError);
    expect(() => abbaSchedule(1.5)).toThrow(/pairs must be ≥ 1/);
  });
});

describe('pairRatios', () => {
  it('divides on by off within each pair, whichever ran first', () => {
    const rounds = [
      { console: 'off', perSecond: 1000 },
      { console: 'on', perSecond: 990 },
      { console: 'on', perSecond: 1100 },
      { console: 'off', perSecond: 1000 },
    ] as const;

    expect(pairRatios(rounds)).toEqual([0.99, 1.1]);
  });

  it('counts a pair whose off round measured nothing as 0', () => {
    expect(
      pairRatios([
        { console: 'off', perSecond: 0 },
        { console: 'on', perSecond: 500 },
      ]),
    ).toEqual([0]);
  });

  it('refuses an odd round and a pair of one condition', () => {
    expect(() => pairRatios([{ console: 'off', perSecond: 1 }])).toThrow(/in pairs/);
    expect(() =>
      pairRatios([
        { console: 'on', perSecond: 1 },
        { console: 'on', perSecond: 1 },
      ]),
    ).toThrow(/rounds 1 and 2 are not one off and one on/);
  });
});

describe('median', () => {
  it('takes the middle value of an odd count and the mean of the middle two of an even one', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([0.97, 1.02, 0.99, 1.0])).toBeCloseTo(0.995);
    expect(median([5])).toBe(5);
  });

  it('is not moved far by one disturbed pair', () => {
    expect(median([0.99, 1.0, 0.98, 0.4])).toBeCloseTo(0.985);
  });

  it('does not reorder its input, and refuses no values', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
    expect(() => median([])).toThrow(RangeError);
  });
});

describe('cpuMsPerSecond', () => {
  it('divides the total CPU by the total time, so longer spans weigh more', () => {
    expect(
      cpuMsPerSecond([
        { cpuMs: 100, seconds: 1 },
        { cpuMs: 300, seconds: 3 },
        { cpuMs: 0, seconds: 0 },
      ]),
    ).toBe(100);
    expect(cpuMsPerSecond([])).toBe(0);
  });
});

describe('roundUse', () => {
  const start: RoundReading = {
    atMs: 1_000,
    consoleMs: 500,
    cassandraMs: 4_000,
    watchedMs: 10_000,
    machineBusyMs: 50_000,
    bundleStamp: 7,
  };

  it("takes the console's and Cassandra's CPU, and the machine's busy CPU outside the watched processes", () => {
    const end = {
      ...start,
      atMs: 6_000,
      consoleMs: 800,
      cassandraMs: 6_500,
      watchedMs: 17_000,
      machineBusyMs: 59_000,
    };

    expect(roundUse(start, end)).toEqual({
      seconds: 5,
      consoleCpuMs: 300,
      cassandraCpuMs: 2_500,
      otherCpuMs: 2_000,
      rebuilt: false,
    });
  });

  it('says the functions were rebuilt when the bundle was written during the round, or first written', () => {
    expect(roundUse(start, { ...start, bundleStamp: 8 }).rebuilt).toBe(true);
    expect(roundUse({ ...start, bundleStamp: undefined }, start).rebuilt).toBe(true);
  });

  it('reads the skew between the counters as no other work, never as negative', () => {
    const end = { ...start, atMs: 2_000, watchedMs: 11_000, machineBusyMs: 50_990 };

    expect(roundUse(start, end).otherCpuMs).toBe(0);
  });
});
