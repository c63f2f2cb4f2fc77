import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { pidsNamed, processTree } from './machine.ts';

const started: ChildProcess[] = [];
afterEach(() => {
  // The shell leads its own process group: the sleeps go with it.
  for (const child of started.splice(0)) process.kill(-(child.pid as number), 'SIGKILL');
});

/** A shell that starts two sleeps of its own and waits, so the tree is three levels deep counting this process. */
async function shellWithTwoSleeps(): Promise<{ shell: number; sleeps: number[] }> {
  const child = spawn('sh', ['-c', 'sleep 30 & sleep 30 & echo started; wait'], {
    stdio: ['ignore', 'pipe', 'ignore'],
    detached: true,
  });
  started.push(child);
  await new Promise((resolve) => child.stdout?.once('data', resolve));
  const shell = child.pid as number;
  // A forked child is named sh until it has exec'd sleep; wait for both to carry their name.
  for (let i = 0; i < 200 && childrenByPgrep(shell, ['-x', 'sleep']).length < 2; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { shell, sleeps: childrenByPgrep(shell) };
}

/** The oracle: `pgrep -P` (with `more` criteria), which exits 1 when it finds none. */
function childrenByPgrep(pid: number, more: string[] = []): number[] {
  const run = spawnSync('pgrep', [...more, '-P', String(pid)], { encoding: 'utf8' });
  return run.stdout
    .split('\n')
    .filter((l) => l.trim())
    .map(Number);
}

describe('processTree', () => {
  it('finds a process, its children and their children', async () => {
    const { shell, sleeps } = await shellWithTwoSleeps();

    const tree = processTree(process.pid);

    expect(sleeps).toHaveLength(2);
    expect(tree[0]).toBe(process.pid);
    expect(tree).toEqual(expect.arrayContaining([shell, ...sleeps]));
    expect(new Set(tree).size).toBe(tree.length);
  });

  it('gives the same pids as pgrep -P, level by level', async () => {
    const { shell } = await shellWithTwoSleeps();

    const tree = processTree(shell);

    const viaPgrep = [shell];
    for (let i = 0; i < viaPgrep.length; i++) viaPgrep.push(...childrenByPgrep(viaPgrep[i] as number));
    expect(tree.sort()).toEqual(viaPgrep.sort());
  });

  it('gives only the root for a process that has exited', async () => {
    const child = spawn('true');
    await new Promise((resolve) => child.once('exit', resolve));

    expect(processTree(child.pid as number)).toEqual([child.pid]);
  });
});

describe('pidsNamed', () => {
  it("finds processes by their exact command name, as pgrep -x does, and nothing by a name's prefix", async () => {
    const { sleeps } = await shellWithTwoSleeps();

    expect(pidsNamed('sleep')).toEqual(expect.arrayContaining(sleeps));
    expect(pidsNamed('slee')).toEqual([]);
    for (const pid of pidsNamed('sleep')) {
      expect(execFileSync('ps', ['-o', 'comm=', '-p', String(pid)], { encoding: 'utf8' }).trim()).toBe(
        'sleep',
      );
    }
  });
});
