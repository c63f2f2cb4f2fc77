/**
 * Process plumbing for the local stack: detached server processes with pid files, liveness and ownership
 * checks, port probes, stopping by pid, and resident memory and uptime (through pidusage).
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import pidusage from 'pidusage';

const run = promisify(execFile);

/** Reads a pid file; undefined when it is missing or does not hold a pid. */
export function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a process, or undefined if it has exited. */
export async function commandLine(pid: number): Promise<string | undefined> {
  const procFile = `/proc/${pid}/cmdline`;
  if (existsSync(procFile)) {
    try {
      return readFileSync(procFile, 'utf8').split('\0').join(' ').trim();
    } catch {
      return undefined;
    }
  }
  try {
    const { stdout } = await run('ps', ['-o', 'command=', '-p', String(pid)]);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The pid in `pidFile` if that process is alive and its command line carries `marker`: a pid file can outlive
 * its process, and the pid can be reused by an unrelated one, which must never be signalled.
 */
export async function ownedPid(pidFile: string, marker: string): Promise<number | undefined> {
  const pid = readPid(pidFile);
  if (pid === undefined || !isAlive(pid)) return undefined;
  const cmd = await commandLine(pid);
  return cmd?.includes(marker) ? pid : undefined;
}

/** True when something accepts TCP connections on host:port. */
export function portOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Best effort: which process listens on a TCP port (`ss` on Linux, `lsof` elsewhere). */
export async function portHolder(port: number): Promise<string | undefined> {
  try {
    const { stdout } = await run('ss', ['-Hltnp', `sport = :${port}`]);
    const match = /users:\(\("([^"]+)",pid=(\d+)/.exec(stdout);
    if (match) return `pid ${match[2]}, ${match[1]}`;
  } catch {
    // ss is missing: try lsof.
  }
  try {
    const { stdout } = await run('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fpc']);
    const pid = /^p(\d+)/m.exec(stdout)?.[1];
    const cmd = /^c(.+)$/m.exec(stdout)?.[1];
    if (pid) return `pid ${pid}${cmd ? `, ${cmd}` : ''}`;
  } catch {
    // Neither tool: the caller reports the port alone.
  }
  return undefined;
}

/** Starts a detached process whose stdout and stderr go to `logFile`, and records its pid. */
export async function spawnDetached(opts: {
  command: string;
  args: string[];
  cwd: string;
  logFile: string;
  pidFile: string;
  env?: NodeJS.ProcessEnv;
  /** Run as this account (the caller must be root). */
  runAs?: { uid: number; gid: number } | undefined;
}): Promise<number> {
  const fd = openSync(opts.logFile, 'a');
  try {
    const child = spawn(opts.command, opts.args, {
      cwd: opts.cwd,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: opts.env ?? process.env,
      ...(opts.runAs ?? {}),
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${opts.command}`);
    child.unref();
    await writeFile(opts.pidFile, `${pid}\n`);
    return pid;
  } finally {
    closeSync(fd);
  }
}

/** Polls `check` until it returns a value or `timeoutMs` passes. */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; abort?: () => string | undefined },
): Promise<T | undefined> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const reason = opts.abort?.();
    if (reason) throw new Error(reason);
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
  }
}

/** Sends SIGTERM, waits for the process to exit, and sends SIGKILL after `graceMs`. Removes the pid file. */
export async function stopPid(pid: number, pidFile: string, graceMs: number): Promise<'stopped' | 'killed'> {
  let outcome: 'stopped' | 'killed' = 'stopped';
  if (isAlive(pid)) {
    process.kill(pid, 'SIGTERM');
    const exited = await waitFor(async () => (isAlive(pid) ? undefined : true), {
      timeoutMs: graceMs,
      intervalMs: 200,
    });
    if (!exited) {
      process.kill(pid, 'SIGKILL');
      outcome = 'killed';
      await waitFor(async () => (isAlive(pid) ? undefined : true), { timeoutMs: 10_000, intervalMs: 100 });
    }
  }
  await rm(pidFile, { force: true });
  return outcome;
}

/** Resident memory (bytes) and uptime (ms) of a process. */
export async function usage(pid: number): Promise<{ rss: number; uptimeMs: number } | undefined> {
  try {
    const stat = await pidusage(pid);
    return { rss: stat.memory, uptimeMs: stat.elapsed };
  } catch {
    return undefined;
  }
}

/** The last `lines` lines of a text file ('' if it does not exist). */
export function tailFile(file: string, lines: number): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8')
    .split('\n')
    .slice(-lines - 1)
    .join('\n');
}
