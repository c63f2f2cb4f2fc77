/**
 * Waiting for the machine to settle before a measured load. A load leaves work behind it once the pipeline has
 * drained: Cassandra flushes its memtables and compacts what the load wrote (on this 2-core machine, a
 * compaction thread is half the machine), and the JVMs and V8 collect and compile. A latency run started
 * straight after a two-minute sustained run shares the cores with that catching-up, which no steady load of its
 * own size would cause, so each measured load starts once the whole machine has been quiet for a moment, or
 * after a bounded wait, saying how busy it still was.
 */
import { cpus } from 'node:os';
import { machineBusyMs } from './machine.ts';

export const quietDefaults = {
  /** Quiet: the machine's cores together busy less than this fraction of the time (0.15: 30% of one of two). */
  busyBelow: 0.15,
  /** For this long in a row. */
  forMs: 3_000,
  /** How often the machine's CPU is read. */
  stepMs: 500,
  /** Give up waiting after this long, and measure anyway (the result says how busy the machine was). */
  timeoutMs: 60_000,
};

export type QuietOptions = typeof quietDefaults;

/** How the wait ended. */
export interface QuietResult {
  quiet: boolean;
  waitedMs: number;
  /** The busy fraction of the last step read: under `busyBelow` when quiet. */
  busy: number;
}

/** What the wait reads: the machine's busy CPU ms (all cores), the time, the cores, and a sleep. */
export interface QuietDeps {
  busyMs(): number;
  now(): number;
  cores: number;
  sleep(ms: number): Promise<void>;
}

const machine: QuietDeps = {
  busyMs: machineBusyMs,
  now: () => performance.now(),
  cores: cpus().length,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Resolves once the machine has been quiet for `forMs` in a row, or after `timeoutMs`. */
export async function waitForQuiet(
  options: QuietOptions = quietDefaults,
  deps: QuietDeps = machine,
): Promise<QuietResult> {
  const start = deps.now();
  let quietSince: number | undefined;
  let busy = 1;
  let before = { at: start, busyMs: deps.busyMs() };
  for (;;) {
    await deps.sleep(options.stepMs);
    const after = { at: deps.now(), busyMs: deps.busyMs() };
    const span = (after.at - before.at) * deps.cores;
    busy = span > 0 ? Math.max(0, after.busyMs - before.busyMs) / span : busy;
    if (busy < options.busyBelow) quietSince ??= before.at;
    else quietSince = undefined;
    before = after;
    const waitedMs = after.at - start;
    if (quietSince !== undefined && after.at - quietSince >= options.forMs)
      return { quiet: true, waitedMs, busy };
    if (waitedMs >= options.timeoutMs) return { quiet: false, waitedMs, busy };
  }
}
