import { describe, expect, it } from 'vitest';
import { type QuietDeps, quietDefaults, waitForQuiet } from './quiet.ts';

/** A machine of `cores` whose busy fraction in each 500 ms step is the next of `fractions` (the last repeats). */
function fakeMachine(fractions: number[], cores = 2): QuietDeps & { elapsed(): number } {
  let now = 0;
  let busyMs = 0;
  let step = 0;
  return {
    cores,
    now: () => now,
    busyMs: () => busyMs,
    sleep: async (ms) => {
      const fraction = fractions[Math.min(step, fractions.length - 1)] ?? 0;
      step++;
      now += ms;
      busyMs += fraction * ms * cores;
    },
    elapsed: () => now,
  };
}

describe('waitForQuiet', () => {
  it('returns once the machine has been quiet for the whole window', async () => {
    const machine = fakeMachine([0.05]);

    const result = await waitForQuiet(quietDefaults, machine);

    expect(result).toEqual({ quiet: true, waitedMs: 3_000, busy: 0.05 });
  });

  it('waits out a compaction: quiet once the last 3 s together were', async () => {
    // 4 s at half the machine (one core compacting), a quiet second, a busy step, then quiet for good.
    const machine = fakeMachine([...Array(8).fill(0.5), 0.05, 0.05, 0.4, 0.02]);

    const result = await waitForQuiet(quietDefaults, machine);

    // The first 3 s window under 15%: the steps from 4 s to 7 s (0.05, 0.05, 0.4 and three of 0.02).
    expect(result.quiet).toBe(true);
    expect(result.waitedMs).toBe(7_000);
    expect(result.busy).toBeCloseTo(0.56 / 6);
  });

  it('is not held up by a short spike of light periodic work', async () => {
    const machine = fakeMachine([0.05, 0.05, 0.6, 0.05, 0.05, 0.05]);

    const result = await waitForQuiet(quietDefaults, machine);

    expect(result).toMatchObject({ quiet: true, waitedMs: 3_000 });
    expect(result.busy).toBeCloseTo(0.85 / 6);
  });

  it('gives up after the timeout and says how busy the machine still was', async () => {
    const machine = fakeMachine([0.6]);

    const result = await waitForQuiet({ ...quietDefaults, timeoutMs: 10_000 }, machine);

    expect(result).toEqual({ quiet: false, waitedMs: 10_000, busy: 0.6 });
  });

  it('counts the busy fraction over every core', async () => {
    // One of four cores fully busy is a quarter of the machine: not quiet at 0.15.
    const machine = fakeMachine([0.25], 4);

    const result = await waitForQuiet({ ...quietDefaults, timeoutMs: 2_000 }, machine);

    expect(result.quiet).toBe(false);
    expect(result.busy).toBeCloseTo(0.25);
  });
});
