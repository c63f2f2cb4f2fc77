/**
 * What a run ran on: the machine, the versions of the tools, and the resident memory and CPU time of every
 * process that took part, sampled while it ran.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, hostname, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import pidusage from 'pidusage';
import { pomProperty, type StackConfig } from '../../infra/local/config.ts';
import type { StatusRow } from '../../infra/local/stack.ts';
import { repoRoot } from '../../lib/paths.ts';
import { type CpuReading, splitMainThread, type ThreadSplit } from './cpu.ts';
import type { ProcessUsage, Results } from './results.ts';

export function machineInfo(): Results['machine'] {
  const list = cpus();
  return {
    hostname: hostname(),
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
  };
}

function packageVersion(name: string): string {
  try {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8'));
    return String(pkg.version);
  } catch {
    return 'unknown';
  }
}

/**
 * Versions of the servers (from the stack's status rows), the runtime and the libraries the stages use.
 *
 * @param rows - `status(cfg)`, which the caller has already read for the servers' pids
 */
export function toolVersions(cfg: StackConfig, rows: readonly StatusRow[]): Record<string, string> {
  const server = (name: string) => rows.find((r) => r.service === name)?.version ?? 'unknown';
  // `java -version` writes to stderr.
  const java = spawnSync(cfg.javaHome ? join(cfg.javaHome, 'bin', 'java') : 'java', ['-version'], {
    encoding: 'utf8',
  });
  return {
    node: process.version,
    java: `${java.stderr || java.stdout}`.split('\n')[0]?.trim() || 'unknown',
    kafka: server('kafka'),
    'kafka-tools': pomProperty('kafka.pom.xml', 'kafka.version'),
    cassandra: server('cassandra'),
    postgresql: server('postgres'),
    kafkajs: packageVersion('kafkajs'),
    'cassandra-driver': packageVersion('cassandra-driver'),
    pg: packageVersion('pg'),
    'serverless (osls)': packageVersion('serverless'),
    'serverless-offline': packageVersion('serverless-offline'),
  };
}

/** The stack's servers the runner watches, by their service names (`stack:status`), which are their names here. */
export const watchedServers = ['kafka', 'cassandra'] as const;

/** A process to follow, by name; `pids` is asked again at each sample (children come and go). */
export interface Watched {
  name: string;
  pids(): number[];
}

interface Usage {
  pid: number;
  peakRss: number;
  /** Per pid, its cumulative CPU milliseconds when first seen and at the latest sample. */
  cpuMs: Map<number, { first: number; latest: number }>;
}

/** Samples RSS and CPU time of the watched processes every `intervalMs` until stopped. */
export class ProcessSampler {
  readonly #watched = new Map<string, Watched>();
  readonly #usage = new Map<string, Usage>();
  /** False until the first sample is in: what runs then has been running before the benchmark. */
  #started = false;
  #timer: NodeJS.Timeout | undefined;
  /** The sample being taken, if one is. */
  #inFlight: Promise<void> | undefined;

  constructor(private readonly intervalMs = 2000) {}

  watch(w: Watched): void {
    this.#watched.set(w.name, w);
  }

  start(): void {
    // The timer skips a beat while a sample is being taken; only callers that need a reading now wait.
    this.#timer = setInterval(() => {
      if (this.#inFlight === undefined) void this.sample();
    }, this.intervalMs);
    this.#timer.unref();
  }

  /**
   * One sample now. A sample already being taken (the timer's) may have read a process before the moment the
   * caller measures from, so this waits for it and then takes its own.
   */
  async sample(): Promise<void> {
    while (this.#inFlight !== undefined) await this.#inFlight;
    this.#inFlight = this.#take().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #take(): Promise<void> {
    try {
      for (const w of this.#watched.values()) {
        const pids = w.pids().filter((p) => p > 0);
        if (pids.length === 0) continue;
        const stats = await pidusage(pids).catch(() => ({}) as Record<string, pidusage.Status>);
        let rss = 0;
        const usage = this.#usage.get(w.name) ?? { pid: pids[0] as number, peakRss: 0, cpuMs: new Map() };
        for (const [pid, s] of Object.entries(stats)) {
          if (!s) continue;
          rss += s.memory;
          const seen = usage.cpuMs.get(Number(pid));
          // A process first seen mid-run (a new serverless-offline) counts from 0; one running before the
          // benchmark (the servers) from its first sample, so its earlier work is left out.
          const first = seen?.first ?? (this.#started ? 0 : s.ctime);
          usage.cpuMs.set(Number(pid), { first, latest: Math.max(seen?.latest ?? 0, s.ctime) });
        }
        usage.peakRss = Math.max(usage.peakRss, rss);
        this.#usage.set(w.name, usage);
      }
    } finally {
      this.#started = true;
    }
  }

  /** CPU milliseconds every watched process has used since the benchmark began, as of the latest sample. */
  cpuMsTotal(): number {
    let total = 0;
    for (const u of this.#usage.values()) total += usedMs(u);
    return total;
  }

  /** CPU milliseconds each watched name's processes have used, as of the latest sample, in the order watched. */
  cpuMsByName(): Map<string, number> {
    return new Map([...this.#usage.entries()].map(([name, u]) => [name, usedMs(u)]));
  }

  /** CPU milliseconds the processes watched as `name` have used, as of the latest sample; 0 if never seen. */
  cpuMsOf(name: string): number {
    const usage = this.#usage.get(name);
    return usage === undefined ? 0 : usedMs(usage);
  }

  stop(): ProcessUsage[] {
    if (this.#timer) clearInterval(this.#timer);
    pidusage.clear();
    return [...this.#usage.entries()].map(([name, u]) => ({
      name,
      pid: u.pid,
      peakRssMiB: Math.round((u.peakRss / 2 ** 20) * 10) / 10,
      cpuSeconds: Math.round(usedMs(u) / 100) / 10,
    }));
  }
}

function usedMs(u: Usage): number {
  let total = 0;
  for (const { first, latest } of u.cpuMs.values()) total += latest - first;
  return total;
}

/**
 * CPU milliseconds all the machine's cores have spent busy (user, nice, system, interrupts) since it booted.
 * Against the watched processes' own CPU over the same span, it tells how much else ran on the machine.
 */
export function machineBusyMs(): number {
  return cpus().reduce((sum, { times }) => sum + times.user + times.nice + times.sys + times.irq, 0);
}

/**
 * A sample of every watched process and of the machine, for one end of a measured span (see `cpuBreakdown`).
 *
 * @param threads - a watched process to report as its main thread and the rest (see `splitMainThread`), and
 *   its current pid
 */
export async function readCpu(
  sampler: ProcessSampler,
  threads?: { split: ThreadSplit; pid(): number | undefined },
): Promise<CpuReading> {
  const before = performance.now();
  await sampler.sample();
  const byProcess = sampler.cpuMsByName();
  const pid = threads?.pid();
  return {
    // The middle of the time the sample took stands for the moment it read.
    atMs: (before + performance.now()) / 2,
    byProcess:
      threads === undefined || pid === undefined
        ? byProcess
        : splitMainThread(byProcess, threads.split, mainThreadCpuMs(pid)),
    machineBusyMs: machineBusyMs(),
  };
}

let clockTicks: number | undefined;

/**
 * A `/proc/…/stat` line split into the command name and the fields after it (state first, then ppid, …). The
 * name may itself hold spaces and parentheses, so it ends at the line's last ')'.
 */
function parseStat(stat: string): { name: string; fields: string[] } {
  const close = stat.lastIndexOf(')');
  return { name: stat.slice(stat.indexOf('(') + 1, close), fields: stat.slice(close + 2).split(' ') };
}

/**
 * CPU milliseconds the main thread of `pid` has used (user and system), from Linux's `/proc`, as pidusage reads
 * a whole process's; undefined where it cannot be read (another OS, a process gone).
 */
export function mainThreadCpuMs(pid: number): number | undefined {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    // utime and stime, the 14th and 15th fields of the line.
    const { fields } = parseStat(stat);
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / clockTicks : undefined;
  } catch {
    return undefined;
  }
}

/** A process as Linux's `/proc/PID/stat` names it. */
interface ProcEntry {
  pid: number;
  ppid: number;
  /** The command name (`comm`), as `pgrep -x` matches it. */
  name: string;
}

/**
 * Every process on the machine, read from Linux's `/proc`; undefined where there is no `/proc` (macOS), whose
 * callers ask `pgrep` instead.
 *
 * Why not `pgrep` everywhere, or a library (pidtree, ps-list): they spawn a process for each question, and the
 * sampler asks several every 2 s from the benchmark's own process, which also runs the load generator, the relay
 * trigger and the raw Cassandra loop. Measured on a 2-core machine: each `execFileSync('pgrep')` from a process of
 * 570 MiB blocked its event loop for 41 ms and cost 15 ms of its CPU (fork copies the page tables), and pgrep
 * spent about as much again. Reading the `stat` files of the machine's 90 processes took 1.6 to 2 ms.
 */
function procTable(): ProcEntry[] | undefined {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const table: ProcEntry[] = [];
  for (const entry of names) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // Exited between the listing and the read.
    }
    const { name, fields } = parseStat(stat);
    table.push({ pid, ppid: Number(fields[1]), name });
  }
  return table;
}

/** The pids `pgrep` prints for `args`; none when it finds none (its exit status 1) or is missing. */
function pgrep(args: string[]): number[] {
  try {
    return execFileSync('pgrep', args, { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.trim())
      .map(Number);
  } catch {
    return [];
  }
}

/** The pids of a process and its descendants. */
export function processTree(root: number): number[] {
  const table = procTable();
  const childrenOf =
    table === undefined
      ? (pid: number) => pgrep(['-P', String(pid)])
      : (pid: number) => table.filter((p) => p.ppid === pid).map((p) => p.pid);
  const all = [root];
  for (let i = 0; i < all.length; i++) all.push(...childrenOf(all[i] as number));
  return all;
}

/** The pids of every process whose command name is exactly `name`, as `pgrep -x name` finds them. */
export function pidsNamed(name: string): number[] {
  const table = procTable();
  return table === undefined ? pgrep(['-x', name]) : table.filter((p) => p.name === name).map((p) => p.pid);
}

/** Every PostgreSQL server process (the postmaster and its backends). */
export function postgresPids(): number[] {
  return pidsNamed('postgres');
}
