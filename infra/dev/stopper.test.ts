import { describe, expect, it } from 'vitest';
import { createStopper, type StopperOptions, stopSignals } from './stopper.ts';

/** A stopper on a hand-driven clock, recording what it signals and logs and the timers it arms. */
function harness(options: Partial<StopperOptions> = {}) {
  let clock = 0;
  const signals: string[] = [];
  const lines: string[] = [];
  const timers: Array<{ at: number; fn: () => void }> = [];
  const stopper = createStopper(
    {
      signalGroup: (signal) => signals.push(signal),
      log: (line) => lines.push(line),
      now: () => clock,
      after: (ms, fn) => timers.push({ at: clock + ms, fn }),
    },
    { graceMs: 45_000, repeatWindowMs: 1_000, ...options },
  );
  /** Moves the clock to `ms` and fires the timers due by then. */
  const advanceTo = (ms: number) => {
    clock = ms;
    const due = timers.filter((t) => t.at <= ms);
    timers.splice(0, timers.length, ...timers.filter((t) => t.at > ms));
    for (const t of due) t.fn();
  };
  return { stopper, signals, lines, advanceTo };
}

describe('createStopper', () => {
  it.each(stopSignals)('stops the group gently on %s, and is stopping from then on', (signal) => {
    const { stopper, signals, lines } = harness();

    stopper.onSignal(signal);

    expect(stopper.stopping).toBe(true);
    expect(stopper.forced).toBe(false);
    expect(signals).toEqual(['SIGINT']);
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^\\[start\\] ${signal}: stopping serverless-offline`)),
    ]);
  });

  it('is not stopping before any signal', () => {
    const { stopper, signals } = harness();

    expect(stopper.stopping).toBe(false);
    expect(signals).toEqual([]);
  });

  it('kills the group when it is still running after the grace period', () => {
    const { stopper, signals, lines, advanceTo } = harness({ graceMs: 45_000 });
    stopper.onSignal('SIGTERM');

    advanceTo(44_999);
    expect(signals).toEqual(['SIGINT']);
    advanceTo(45_000);

    expect(signals).toEqual(['SIGINT', 'SIGKILL']);
    expect(stopper.forced).toBe(true);
    expect(lines.at(-1)).toBe(
      "[start] still running 45 s after SIGTERM: killing serverless-offline's process group",
    );
  });

  it('kills the group at once on a second signal while stopping', () => {
    const { stopper, signals, lines, advanceTo } = harness();
    stopper.onSignal('SIGINT');

    advanceTo(3_000);
    stopper.onSignal('SIGINT');

    expect(signals).toEqual(['SIGINT', 'SIGKILL']);
    expect(stopper.forced).toBe(true);
    expect(lines.at(-1)).toBe("[start] SIGINT while stopping: killing serverless-offline's process group");
  });

  it('kills at once on a different signal, however soon it comes', () => {
    const { stopper, signals, advanceTo } = harness();
    stopper.onSignal('SIGHUP');

    advanceTo(10);
    stopper.onSignal('SIGTERM');

    expect(signals).toEqual(['SIGINT', 'SIGKILL']);
  });

  it('takes a repeat of the first signal within the window for the same request (a terminal closing)', () => {
    const { stopper, signals, advanceTo } = harness({ repeatWindowMs: 1_000 });
    stopper.onSignal('SIGHUP');

    advanceTo(999);
    stopper.onSignal('SIGHUP');

    expect(signals).toEqual(['SIGINT']);
    expect(stopper.forced).toBe(false);
  });

  it('kills only once, whatever follows', () => {
    const { stopper, signals, advanceTo } = harness();
    stopper.onSignal('SIGINT');
    advanceTo(2_000);
    stopper.onSignal('SIGTERM');

    stopper.onSignal('SIGHUP');
    advanceTo(60_000);

    expect(signals).toEqual(['SIGINT', 'SIGKILL']);
  });
});
