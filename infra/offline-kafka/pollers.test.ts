import { describe, expect, it } from 'vitest';
import { pollerSlots } from './pollers.ts';

/** A piece of work that finishes when the test says so, and says when it started. */
function gate() {
  let open: () => void = () => {};
  let started = false;
  const done = new Promise<void>((resolve) => {
    open = resolve;
  });
  return {
    work: async () => {
      started = true;
      await done;
    },
    open: () => open(),
    get started() {
      return started;
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('pollerSlots', () => {
  it('holds the invocations in flight at maximumPollers; the next one starts when one finishes, first come first served', async () => {
    const slots = pollerSlots(2);
    const gates = [gate(), gate(), gate(), gate()];

    const runs = gates.map((g) => slots.run(g.work));
    await tick();
    expect(gates.map((g) => g.started)).toEqual([true, true, false, false]);
    expect([slots.inFlight, slots.waiting]).toEqual([2, 2]);

    gates[1]?.open();
    await tick();
    expect(gates.map((g) => g.started)).toEqual([true, true, true, false]);
    expect([slots.inFlight, slots.waiting]).toEqual([2, 1]);

    for (const g of gates) g.open();
    await Promise.all(runs);
    expect([slots.inFlight, slots.waiting, slots.peak]).toEqual([0, 0, 2]);
  });

  it('frees the poller of an invocation that failed, and passes the failure on', async () => {
    const slots = pollerSlots(1);

    const failed = slots.run(async () => {
      throw new Error('function error');
    });
    const next = slots.run(async () => 'ran');

    await expect(failed).rejects.toThrow('function error');
    await expect(next).resolves.toBe('ran');
    expect(slots.inFlight).toBe(0);
  });

  it('bounds nothing in on-demand mode (no maximumPollers): every partition invokes at once', async () => {
    const slots = pollerSlots(undefined);
    const gates = Array.from({ length: 6 }, gate);

    const runs = gates.map((g) => slots.run(g.work));
    await tick();

    expect(gates.every((g) => g.started)).toBe(true);
    expect(slots.peak).toBe(6);
    for (const g of gates) g.open();
    await Promise.all(runs);
  });

  it('refuses a bound that is not a whole number of at least 1', () => {
    expect(() => pollerSlots(0)).toThrow('maximumPollers must be a whole number of at least 1, not 0');
  });
});
