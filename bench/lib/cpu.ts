/**
 * CPU per 1000 users, per process, over one measured span (issue 17), pure: the difference between two
 * readings of the process sampler, divided by the users the span carried. Broken down by the processes the
 * run watches (Kafka, Cassandra, PostgreSQL, serverless-offline with the functions' workers, the benchmark
 * itself), so a change shows where it saved; the machine's busy time outside them is reported apart, as other
 * work that shared the machine.
 */
import type { CpuBreakdown } from './results.ts';

/** The process sampler and the machine read at one moment (`readCpu` in machine.ts takes it). */
export interface CpuReading {
  /** `performance.now()` of the reading. */
  atMs: number;
  /** Watched name → CPU milliseconds its processes have used since the run began. */
  byProcess: ReadonlyMap<string, number>;
  /** CPU milliseconds all the machine's cores have spent busy since boot. */
  machineBusyMs: number;
}

/**
 * Names to report one watched process's CPU under, split in two: its main thread, and everything else (its other
 * threads and its child processes). `sls offline start` runs the event source and serverless-offline on its main
 * thread and each function in a worker thread of the same process, so the split tells the two apart.
 */
export interface ThreadSplit {
  /** The watched name whose CPU is split. */
  process: string;
  mainThread: string;
  rest: string;
}

/**
 * `byProcess` with the entry of `split.process` replaced, where it stood, by its main thread's CPU and the
 * rest of it. Unchanged when the process was not seen or its main thread could not be read.
 */
export function splitMainThread(
  byProcess: ReadonlyMap<string, number>,
  split: ThreadSplit,
  mainThreadMs: number | undefined,
): Map<string, number> {
  const total = byProcess.get(split.process);
  if (total === undefined || mainThreadMs === undefined) return new Map(byProcess);
  const out = new Map<string, number>();
  for (const [name, ms] of byProcess) {
    if (name !== split.process) out.set(name, ms);
    else {
      // Read a moment after the whole process, the main thread can be a tick ahead of it.
      const main = Math.min(mainThreadMs, ms);
      out.set(split.mainThread, main);
      out.set(split.rest, ms - main);
    }
  }
  return out;
}

const perThousand = (ms: number, users: number) => (users > 0 ? (ms / users) * 1000 : 0);

/**
 * The CPU each watched process used between `start` and `end`, per 1000 of `users`. A process that used none
 * in the span (one not running then) is left out; one first seen after `start` counts from 0. A counter that
 * went backwards (a process replaced by another of the same name) counts as 0, never as negative.
 */
export function cpuBreakdown(start: CpuReading, end: CpuReading, users: number): CpuBreakdown {
  const processes: CpuBreakdown['processes'] = [];
  let watchedMs = 0;
  for (const [name, ms] of end.byProcess) {
    const used = Math.max(0, ms - (start.byProcess.get(name) ?? 0));
    watchedMs += used;
    if (used > 0) processes.push({ name, cpuMs: used, msPerThousand: perThousand(used, users) });
  }
  const otherMs = Math.max(0, end.machineBusyMs - start.machineBusyMs - watchedMs);
  return {
    users,
    seconds: Math.max(0, (end.atMs - start.atMs) / 1000),
    processes,
    totalMsPerThousand: perThousand(watchedMs, users),
    otherMsPerThousand: perThousand(otherMs, users),
  };
}
