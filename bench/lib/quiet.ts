/**
 * Waiting for the machine to settle before a measured load. A load leaves work behind it once the pipeline has
 * drained: Cassandra flushes its memtables and compacts what the load wrote (on this 2-core machine, a
 * compaction thread is half the machine), and the JVMs and V8 collect and compile. A load started straight
 * after another may share the cores with that catching-up, which no steady load of its own size would cause,
 * so each measured load starts once the whole machine has been quiet for a moment, or after a bounded wait,
 * saying how busy it still was. The benchmark first has the node write out its memtables (`cassandraFlusher`,
 * from bench/run.ts): rows a load left in them are a flush made due by that load, which would otherwise land,
 * with the compaction it sets off, in whichever load comes next; the wait then covers that compaction.
 */
import { cpus } from 'node:os';
import { machineBusyMs } from './machine.ts';

export const quietDefaults = {
  /** Quiet: the machine's cores together busy less than this fraction of the time (0.15: 30% of one of two). */
  busyBelow: 0.15,
  /** Over the last this long. */
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
  /** The busy fraction over the last window read: under `busyBelow` when quiet. */
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

/**
 * Resolves once the machine's cores together were busy less than `busyBelow` of the time over the last `forMs`,
 * or after `timeoutMs`. An average over the window, not every step under it: light periodic work (a console's
 * reading, a scrape) may take a short step over the threshold without the machine being busy.
 */
export async function waitForQuiet(
  options: QuietOptions = quietDefaults,
  deps: QuietDeps = machine,
): Promise<QuietResult> {
  const start = deps.now();
  const samples: Array<{ at: number; busyMs: number }> = [{ at: start, busyMs: deps.busyMs() }];
  let busy = 1;
  for (;;) {
    await deps.sleep(options.stepMs);
    const latest = { at: deps.now(), busyMs: deps.busyMs() };
    samples.push(latest);
    // Keep the newest sample that is at least `forMs` old as the window's start.
    while (samples.length > 2 && latest.at - (samples[1]?.at ?? latest.at) >= options.forMs) samples.shift();
    const first = samples[0] ?? latest;
    const span = latest.at - first.at;
    if (span > 0) busy = Math.max(0, latest.busyMs - first.busyMs) / (span * deps.cores);
    const waitedMs = latest.at - start;
    if (span >= options.forMs && busy < options.busyBelow) return { quiet: true, waitedMs, busy };
    if (waitedMs >= options.timeoutMs) return { quiet: false, waitedMs, busy };
  }
}
