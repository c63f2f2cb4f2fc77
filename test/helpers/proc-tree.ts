/**
 * The Linux process table, read from /proc, for tests that check a command left nothing behind: a process's
 * descendants (taken before it stops, since orphans are re-parented) and the live members of a process group.
 * `parseStat` is pure; only `processTable` reads /proc.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** One process, as /proc/<pid>/stat describes it. */
export interface ProcEntry {
  pid: number;
  ppid: number;
  pgid: number;
  /** One letter: R, S, D, T, Z (a zombie: exited, not yet reaped) and so on. */
  state: string;
  /** Clock ticks after boot at which it started: with the pid, it tells a process from a later one reusing the pid. */
  startTime: number;
  /** The executable's name, as the kernel keeps it (at most 15 characters). */
  name: string;
}

/**
 * Parses the text of /proc/<pid>/stat. The name sits in parentheses and may itself hold spaces and parentheses,
 * so the fields are counted from the last `)`.
 */
export function parseStat(text: string): ProcEntry | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // After the name: state (field 3), ppid (4), pgrp (5), session (6), ... starttime (22).
  const fields = text.slice(close + 2).split(' ');
  const entry = {
    pid: Number(text.slice(0, open).trim()),
    ppid: Number(fields[1]),
    pgid: Number(fields[2]),
    state: fields[0] ?? '',
    startTime: Number(fields[19]),
    name: text.slice(open + 1, close),
  };
  const numbers = [entry.pid, entry.ppid, entry.pgid, entry.startTime];
  return entry.state !== '' && numbers.every(Number.isInteger) ? entry : undefined;
}

/** Every process on the machine now, zombies included. */
export function processTable(): ProcEntry[] {
  const entries: ProcEntry[] = [];
  for (const dir of readdirSync('/proc')) {
    if (!/^\d+$/.test(dir)) continue;
    try {
      const entry = parseStat(readFileSync(`/proc/${dir}/stat`, 'utf8'));
      if (entry) entries.push(entry);
    } catch {
      // It exited while the table was read.
    }
  }
  return entries;
}

/** `root` and all its descendants in `table`. */
export function descendantsOf(root: number, table: readonly ProcEntry[]): ProcEntry[] {
  const found = table.filter((p) => p.pid === root);
  for (let i = 0; i < found.length; i++) {
    const parent = found[i]?.pid;
    found.push(...table.filter((p) => p.ppid === parent && p.pid !== root));
  }
  return found;
}

/** The processes of `entries` that still run in `table`: the same pid and start time, and not a zombie. */
export function stillRunning(entries: readonly ProcEntry[], table: readonly ProcEntry[]): ProcEntry[] {
  return entries.filter((e) =>
    table.some((p) => p.pid === e.pid && p.startTime === e.startTime && p.state !== 'Z'),
  );
}

/**
 * The processes of `entries` that still run in `table` under another parent: orphans, re-parented because
 * their parent exited before them.
 */
export function reparented(entries: readonly ProcEntry[], table: readonly ProcEntry[]): ProcEntry[] {
  return stillRunning(entries, table).filter((e) => table.some((p) => p.pid === e.pid && p.ppid !== e.ppid));
}

/** The live (non-zombie) members of process group `pgid` in `table`. */
export function groupMembers(pgid: number, table: readonly ProcEntry[]): ProcEntry[] {
  return table.filter((p) => p.pgid === pgid && p.state !== 'Z');
}
