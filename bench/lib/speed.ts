/**
 * The machine's own speed over a run. A virtual machine can run slower for minutes, its host busy with other
 * guests, without showing it as steal time: in two full runs of the same code back to back (2026-12-07), every
 * process, the benchmark's own load generator included, spent about 30% more CPU per user in the second. The
 * ratios compare phases run minutes apart (a stage with a raw tool's better round, end to end with the serial
 * limit), so a reader needs to know whether the machine kept its speed between them.
 *
 * The probe is a fixed piece of work of the kind the pipeline does (JSON text written and parsed, short-lived
 * objects for the collector), timed on the wall clock, the fastest of several short repeats so an interruption does
 * not count. The benchmark takes a reading once the machine is quiet before each group of phases and each
 * measured load, and waits there while the machine runs slower than it has in this run ({@link waitForSpeed});
 * the spread of the readings it measured after says how much the machine's speed still moved.
 */

/**
 * The raw baseline that tells the kind of machine a run had: HTTP GET and JSON.parse over loopback, mostly the
 * kernel's and the event loop's work between processes, which the probe below does not do. Recorded runs split
 * into two kinds by it, and the slow kind spends about twice the CPU per user end to end (the bench README's
 * "Reading the misses"); the report's history shows it beside each run.
 */
export const loopbackBaselineId = 'http-fetch';

/** A reading of the probe: where in the run, how long the fixed work took, and how long the gate waited for it. */
export interface SpeedReading {
  phase: string;
  probeMs: number;
  /** Seconds {@link waitForSpeed} waited for the machine to run at its speed again; absent when it did not. */
  waitedSeconds?: number;
}

/** The spread of a run's readings: the slowest over the fastest, less 1 (0.3: the slowest took 30% longer). */
export interface SpeedSpread {
  fastestMs: number;
  slowestMs: number;
  spread: number;
  readings: number;
  /** Readings the gate waited for ({@link waitForSpeed}), and its waits added up. */
  waits: number;
  waitedSeconds: number;
}

// Many short repeats rather than a few long ones: a quiet machine still has some work on its other core (the
// servers' collectors, a compaction's tail), which slows the probe where the two cores share one physical core.
// In two quick runs on a 2-core machine, three repeats of 60 ms read 56 to 85 ms; nine of 20 ms, 18.4 to 19.8.
export const speedDefaults = {
  /** Repeats of the work per reading; the fastest counts. */
  repeats: 9,
  /** Round trips of the fixed document per repeat: about 20 ms on this project's 2-core machines. */
  roundTrips: 40,
  /**
   * A spread above this is reported as a warning: ratios across the run's phases are then suspect. Above the
   * 8% a steady machine showed, under the 30% more CPU per user a slowed one spent.
   */
  warnAbove: 0.15,
  /**
   * Before a measured phase, a reading more than this much slower than the run's fastest makes the benchmark
   * wait and read again ({@link waitForSpeed}): the same bound as the warning, so that a run whose phases all
   * passed the gate stays under it.
   */
  gateAbove: 0.15,
  /** How long the gate sleeps between readings. */
  gateStepMs: 2_000,
};

// About 60 KB of JSON: 200 user-like records with strings, numbers and nesting, fixed so every reading does
// the same work.
const documentText = JSON.stringify(
  Array.from({ length: 200 }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    name: { title: 'Mx', first: `First${i}`, last: `Last${i}` },
    location: { street: { number: i, name: `Street ${i}` }, city: 'City', postcode: 10_000 + i },
    email: `user${i}@example.com`,
    registered: { date: '2020-01-01T00:00:00.000Z', age: i % 90 },
    tags: ['a', 'b', 'c'].map((t) => `${t}${i}`),
  })),
);

/**
 * Times the fixed work: the fastest of `repeats`, in wall milliseconds.
 *
 * @throws RangeError for a count that is not a positive integer
 */
export function probeSpeed(
  repeats = speedDefaults.repeats,
  roundTrips = speedDefaults.roundTrips,
  now: () => number = () => performance.now(),
): number {
  if (!Number.isInteger(repeats) || repeats < 1 || !Number.isInteger(roundTrips) || roundTrips < 1) {
    throw new RangeError(`repeats and roundTrips are positive integers, got ${repeats} and ${roundTrips}`);
  }
  let fastest = Number.POSITIVE_INFINITY;
  let length = 0;
  for (let r = 0; r < repeats; r++) {
    const start = now();
    for (let i = 0; i < roundTrips; i++) length += JSON.stringify(JSON.parse(documentText)).length;
    fastest = Math.min(fastest, now() - start);
  }
  // Used, so no engine can drop the work as dead code.
  if (length !== repeats * roundTrips * documentText.length) throw new Error('the probe lost its document');
  return fastest;
}

/** The spread of `readings` (see {@link SpeedSpread}); undefined without any. */
export function speedSpread(readings: readonly SpeedReading[]): SpeedSpread | undefined {
  if (readings.length === 0) return undefined;
  const times = readings.map((r) => r.probeMs);
  const fastestMs = Math.min(...times);
  const slowestMs = Math.max(...times);
  const waited = readings.filter((r) => (r.waitedSeconds ?? 0) > 0);
  return {
    fastestMs,
    slowestMs,
    spread: slowestMs / fastestMs - 1,
    readings: readings.length,
    waits: waited.length,
    waitedSeconds: waited.reduce((sum, r) => sum + (r.waitedSeconds ?? 0), 0),
  };
}

/**
 * The run's speed in one sentence, and a warning when the spread is above `warnAbove`; the console summary and
 * the report both print these.
 */
export function describeSpeed(
  spread: SpeedSpread,
  warnAbove = speedDefaults.warnAbove,
): { line: string; warning?: string } {
  const ms = (v: number) => v.toFixed(0);
  const percent = Math.round(spread.spread * 100);
  const waits =
    spread.waits === 0
      ? ''
      : `, after waiting ${spread.waits} ${spread.waits === 1 ? 'time' : 'times'} ` +
        `(${Math.round(spread.waitedSeconds)} s in all) for the machine to run at its speed again`;
  const line =
    `Machine speed: the probe took ${ms(spread.fastestMs)} to ${ms(spread.slowestMs)} ms over ` +
    `${spread.readings} ${spread.readings === 1 ? 'reading' : 'readings'} (spread ${percent}%)${waits}`;
  if (spread.spread <= warnAbove) return { line };
  return {
    line,
    warning:
      `the machine's speed moved by ${percent}% during the run, so ratios between phases measured at different ` +
      'times (a stage against a raw round, end to end against the serial limit) are suspect: run it again',
  };
}

/** How {@link waitForSpeed} ended. */
export interface SpeedGateResult {
  /** The last reading. */
  probeMs: number;
  /** Whether it was within `gateAbove` of the reference; false: the wait timed out with the machine still slow. */
  steady: boolean;
  /** What it was set against: the run's fastest, or the gate's own fastest when that was faster or first. */
  referenceMs: number;
  /** How long the gate slept before taking the last reading: 0 when the first one passed. */
  waitedMs: number;
}

/** What the gate reads: the probe, the time and a sleep. */
export interface SpeedGateDeps {
  probe(): number;
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realGateDeps: SpeedGateDeps = {
  probe: () => probeSpeed(),
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Waits until the machine runs at its speed: a reading within `gateAbove` of `fastestMs` (the run's fastest
 * so far), or after `timeoutMs`. A slowed machine measured beside a phase measured at full speed is what made the
 * same code read 0.83 and 0.45 of the serial limit in two runs (lib/speed.ts's first paragraph), and on this
 * machine slow spells last seconds to minutes, so a short wait before each measured phase sets most of them at
 * the same speed. With no run reading yet, the first one has nothing to be set against: the gate reads again
 * after a step and sets the second against it (that also keeps a cold first call from becoming the reference).
 */
export async function waitForSpeed(
  fastestMs: number | undefined,
  options: { gateAbove: number; gateStepMs: number; timeoutMs: number },
  deps: SpeedGateDeps = realGateDeps,
): Promise<SpeedGateResult> {
  const start = deps.now();
  let reference = fastestMs;
  for (;;) {
    const waitedMs = deps.now() - start;
    const probeMs = deps.probe();
    if (reference !== undefined && probeMs <= reference * (1 + options.gateAbove)) {
      return { probeMs, steady: true, referenceMs: reference, waitedMs };
    }
    reference = Math.min(reference ?? probeMs, probeMs);
    if (waitedMs >= options.timeoutMs) return { probeMs, steady: false, referenceMs: reference, waitedMs };
    await deps.sleep(options.gateStepMs);
  }
}
