import { describe, expect, it } from 'vitest';
import {
  describeSpeed,
  probeSpeed,
  type SpeedGateDeps,
  speedDefaults,
  speedSpread,
  waitForSpeed,
} from './speed.ts';

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
    expect(spread).toEqual({
      fastestMs: 60,
      slowestMs: 78,
      spread: expect.closeTo(0.3, 10),
      readings: 3,
      waits: 0,
      waitedSeconds: 0,
    });
  });

  it('counts the readings the gate waited for, and adds up its waits', () => {
    const spread = speedSpread([
      { phase: 'baselines', probeMs: 60 },
      { phase: 'stages', probeMs: 62, waitedSeconds: 4 },
      { phase: 'end to end', probeMs: 61, waitedSeconds: 6.5 },
    ]);
    expect(spread).toMatchObject({ waits: 2, waitedSeconds: 10.5 });
  });
});

describe('describeSpeed', () => {
  const noWaits = { waits: 0, waitedSeconds: 0 };

  it('says how far the readings spread, without a warning at or under the threshold', () => {
    const described = describeSpeed({ ...noWaits, fastestMs: 60, slowestMs: 69, spread: 0.15, readings: 24 });
    expect(described).toEqual({
      line: 'Machine speed: the probe took 60 to 69 ms over 24 readings (spread 15%)',
    });
  });

  it('warns above the threshold that ratios across phases are suspect', () => {
    const described = describeSpeed({ ...noWaits, fastestMs: 60, slowestMs: 78, spread: 0.3, readings: 2 });
    expect(described.line).toBe('Machine speed: the probe took 60 to 78 ms over 2 readings (spread 30%)');
    expect(described.warning).toMatch(
      /^the machine's speed moved by 30% during the run, so ratios between phases/,
    );
    expect(speedDefaults.warnAbove).toBe(0.15);
  });

  it('names a single reading in the singular', () => {
    expect(
      describeSpeed({ ...noWaits, fastestMs: 60, slowestMs: 60, spread: 0, readings: 1 }).line,
    ).toContain('1 reading (');
  });

  it('says how often and how long the benchmark waited for the machine', () => {
    const line = describeSpeed({
      fastestMs: 60,
      slowestMs: 66,
      spread: 0.1,
      readings: 9,
      waits: 3,
      waitedSeconds: 14.4,
    }).line;
    expect(line).toBe(
      'Machine speed: the probe took 60 to 66 ms over 9 readings (spread 10%), after waiting 3 times (14 s in all) ' +
        'for the machine to run at its speed again',
    );
  });
});

describe('waitForSpeed', () => {
  /** A fake machine: the probe returns the given readings in turn; sleeps advance the clock. */
  function machine(...readings: number[]): SpeedGateDeps & { slept: number[] } {
    let at = 0;
    const slept: number[] = [];
    return {
      slept,
      probe: () => {
        const next = readings.shift();
        if (next === undefined) throw new Error('the test ran out of readings');
        return next;
      },
      now: () => at,
      sleep: async (ms) => {
        slept.push(ms);
        at += ms;
      },
    };
  }
  const options = { gateAbove: 0.15, gateStepMs: 2000, timeoutMs: 10_000 };

  it("passes at once when the reading is within the bound of the run's fastest", async () => {
    const deps = machine(22.9);
    expect(await waitForSpeed(20, options, deps)).toEqual({
      probeMs: 22.9,
      steady: true,
      referenceMs: 20,
      waitedMs: 0,
    });
    expect(deps.slept).toEqual([]);
  });

  it('waits while the machine reads slow, and passes once it runs at its speed again', async () => {
    const deps = machine(30, 28, 21);
    expect(await waitForSpeed(20, options, deps)).toEqual({
      probeMs: 21,
      steady: true,
      referenceMs: 20,
      waitedMs: 4000,
    });
    expect(deps.slept).toEqual([2000, 2000]);
  });

  it('gives up after the timeout, still slow, against the fastest it saw', async () => {
    const deps = machine(30, 29, 31, 30, 30, 30);
    const result = await waitForSpeed(20, { ...options, timeoutMs: 6000 }, deps);
    expect(result).toEqual({ probeMs: 30, steady: false, referenceMs: 20, waitedMs: 6000 });
  });

  it('with no reading yet in the run, reads twice and sets the second against the first', async () => {
    const deps = machine(25, 19);
    expect(await waitForSpeed(undefined, options, deps)).toEqual({
      probeMs: 19,
      steady: true,
      referenceMs: 25,
      waitedMs: 2000,
    });
  });

  it("lowers the reference to a reading faster than the run's fastest", async () => {
    // 30 is slow against 20, so it reads again: 15 passes and is the new fastest; the third reading is not needed.
    const deps = machine(30, 15);
    expect(await waitForSpeed(20, options, deps)).toMatchObject({ probeMs: 15, steady: true });
    // And a first reading with no reference that keeps getting slower never passes.
    const slowing = machine(20, 24, 28, 32);
    expect(await waitForSpeed(undefined, { ...options, timeoutMs: 6000 }, slowing)).toEqual({
      probeMs: 32,
      steady: false,
      referenceMs: 20,
      waitedMs: 6000,
    });
  });
});
