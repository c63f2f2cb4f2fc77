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
