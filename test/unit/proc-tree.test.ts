import { describe, expect, it } from 'vitest';
import {
  descendantsOf,
  groupMembers,
  type ProcEntry,
  parseStat,
  processTable,
  reparented,
  stillRunning,
} from '../helpers/proc-tree.ts';

const entry = (pid: number, ppid: number, pgid: number, state = 'S', startTime = 100): ProcEntry => ({
  pid,
  ppid,
  pgid,
  state,
  startTime,
  name: 'node',
});

describe('parseStat', () => {
  it('reads pid, state, parent, group and start time, counting fields after the name', () => {
    const text =
      '4242 (node (sls) x) S 4200 4242 4242 0 -1 4194560 1201 0 0 0 12 3 0 0 20 0 11 0 987654 1093 2 1844 ...\n';

    expect(parseStat(text)).toEqual({
      pid: 4242,
      ppid: 4200,
      pgid: 4242,
      state: 'S',
      startTime: 987654,
      name: 'node (sls) x',
    });
  });

  it('refuses text that is not a stat line', () => {
    expect(parseStat('')).toBeUndefined();
    expect(parseStat('12 (cut short')).toBeUndefined();
    expect(parseStat('12 (sh) S')).toBeUndefined();
  });

  it('reads this very process from /proc', () => {
    const me = processTable().find((p) => p.pid === process.pid);

    expect(me).toMatchObject({ pid: process.pid, ppid: process.ppid });
  });
});

describe('descendantsOf, groupMembers, stillRunning and reparented', () => {
  // 10 (group 10) → 11 → 12; 11 → 20, leader of group 20 → 21; 30 is unrelated.
  const table = [
    entry(10, 1, 10),
    entry(11, 10, 10),
    entry(12, 11, 10),
    entry(20, 11, 20),
    entry(21, 20, 20),
    entry(30, 1, 30),
  ];

  it('finds a process and every descendant, in other groups too', () => {
    expect(
      descendantsOf(10, table)
        .map((p) => p.pid)
        .sort(),
    ).toEqual([10, 11, 12, 20, 21]);
  });

  it('lists the live members of a group, not its zombies', () => {
    const later = [...table.filter((p) => p.pid !== 21), entry(21, 20, 20, 'Z')];

    expect(groupMembers(20, later).map((p) => p.pid)).toEqual([20]);
  });

  it('tells a process still running from one gone, reaped as a zombie, or replaced under its pid', () => {
    const before = descendantsOf(10, table);
    const after = [entry(10, 1, 10, 'Z'), entry(12, 1, 10), entry(20, 1, 20, 'S', 999), entry(30, 1, 30)];

    expect(stillRunning(before, after).map((p) => p.pid)).toEqual([12]);
  });

  it('finds the processes that outlived their parent and were re-parented', () => {
    const before = descendantsOf(10, table);
    const after = [entry(11, 10, 10), entry(12, 11, 10), entry(20, 1, 20), entry(21, 20, 20, 'S', 555)];

    expect(reparented(before, after).map((p) => p.pid)).toEqual([20]);
  });
});
