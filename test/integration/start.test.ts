/**
 * `npm start` as a new user runs it, with the defaults except for the names (its own topic, keyspace and
 * database, so the count it watches is its own): the stack comes up (or is reused), the migrations apply,
 * serverless-offline serves the functions, fetch-users runs at once, the users show up in Cassandra and in
 * the live summary (the local EventBridge's deliveries too), and Ctrl-C (SIGINT to the process group) stops
 * everything it started. Then the other ways a run ends: SIGTERM, and SIGHUP from a terminal that closed, each
 * to the whole process group.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { portHolder, portOpen } from '../../infra/local/proc.ts';
import {
  descendantsOf,
  groupMembers,
  type ProcEntry,
  processTable,
  reparented,
  stillRunning,
} from '../helpers/proc-tree.ts';
import { pipelineRun, startPipelineRun } from '../helpers/process.ts';
import { dropRun, eventually, uniqueName } from '../helpers/stack.ts';

const run = uniqueName('start');
const names = pipelineRun(run);
const fetchTotal = 100;
const stopNames = pipelineRun(uniqueName('stop'));

afterAll(async () => {
  for (const n of [names, stopNames]) {
    await dropRun({ keyspace: n.keyspace, topics: [n.topic, n.dlq], database: n.database });
  }
});

/** The numbers of one `[pipeline]` summary line, or undefined for any other line. */
function parseSummary(line: string) {
  const m =
    /^\[pipeline\] fetched (\d+) · bus (\d+) pending (\d+) dead-lettered · stored (\d+) · outbox (\d+) pending.* · published (\d+) · lag (\d+) \[([^\]]*)\] · cassandra (\d+) · dlq (\d+)$/.exec(
      line,
    );
  if (!m) return undefined;
  const n = (i: number) => Number(m[i]);
  return {
    fetched: n(1),
    busPending: n(2),
    busDead: n(3),
    stored: n(4),
    pending: n(5),
    published: n(6),
    lag: n(7),
    partitions: (m[8] ?? '').split(' ').filter((p) => p !== '').length,
    cassandra: n(9),
    dlq: n(10),
  };
}

describe('npm start', () => {
  it('runs the pipeline under serverless-offline: users reach Cassandra within seconds, the summary shows each stage, and Ctrl-C stops everything', async () => {
    const start = startPipelineRun(names, {
      FETCH_TOTAL: String(fetchTotal),
      PIPELINE_STATUS_INTERVAL_MS: '1000',
    });
    let code: number | string | undefined;
    try {
      // The schedule may fire on a minute boundary too, so look for a settled reading of any multiple of the
      // run's size: every stage at the same count, nothing pending, nothing lagging.
      const settled = await eventually(
        'a summary line where every stage holds the fetched users and no offset is left to commit',
        async () =>
          start
            .output()
            .split('\n')
            .map(parseSummary)
            .find(
              (r) =>
                r !== undefined &&
                r.fetched >= fetchTotal &&
                r.busPending === 0 &&
                r.stored === r.fetched &&
                r.published === r.fetched &&
                r.cassandra === r.fetched &&
                r.pending === 0 &&
                r.lag === 0,
            ),
        120_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${start.output().slice(-4000)}`);
      });
      const ping = await fetch('http://127.0.0.1:3000/local/ping');

      expect(settled.fetched % fetchTotal).toBe(0);
      expect(settled.dlq).toBe(0);
      expect(settled.busDead).toBe(0);
      expect(settled.partitions).toBe(6);
      expect(await ping.json()).toMatchObject({
        ok: true,
        stage: 'local',
        service: 'realtime-user-pipeline',
      });
      expect(start.output()).toContain('[start] randomuser API: http://127.0.0.1:3100/api/1.4/ (local)');
      expect(start.output()).toMatch(/migrate: postgres .*database start_/);
      expect(start.output()).toContain(`offline-kafka: sink-users: consuming ${names.topic} as group`);
      expect(start.output()).toContain(
        `[eventbus] PutEvents on http://127.0.0.1:4010; events kept in PostgreSQL`,
      );
      expect(start.output()).toMatch(
        /\[eventbus\] store-users ← UsersFetched [0-9a-f-]{36}: delivered in \d+ ms \(attempt 1\)/,
      );
      expect(start.output()).toMatch(
        /\[start\] console: http:\/\/127\.0\.0\.1:3300\/#token=[A-Za-z0-9_-]{32}\n/,
      );
    } finally {
      code = await start.interrupt();
    }

    expect(code).toBe(0);
    await eventually('npm start to release its ports', async () =>
      (await Promise.all(startPorts.map((port) => portOpen('127.0.0.1', port)))).some(Boolean)
        ? undefined
        : true,
    );
  });
});

/**
 * What `npm start` listens on: serverless-offline's HTTP and Invoke APIs, the local randomuser API and
 * EventBridge, and the console.
 */
const startPorts = [3000, 3002, 3100, 4010, 3300];

async function openPorts(): Promise<number[]> {
  const open = await Promise.all(startPorts.map((port) => portOpen('127.0.0.1', port)));
  return startPorts.filter((_, i) => open[i]);
}

describe('npm start, stopped by a signal to its process group', () => {
  it.each([
    {
      signal: 'SIGHUP',
      via: 'npm',
      terminal: 'closed',
      why: 'a closing terminal: npm, its shell and tsx die of it, and start.ts can no longer write',
    },
    { signal: 'SIGHUP', via: 'node', terminal: 'open', why: 'a hang-up that leaves the output readable' },
    { signal: 'SIGTERM', via: 'node', terminal: 'open', why: 'a service manager or `kill`' },
  ] as const)(
    '$signal ($why): everything it started exits and every port is freed',
    async ({ signal, via, terminal }) => {
      const held = await openPorts();
      expect(
        held,
        `ports in use before the start: ${await Promise.all(held.map(async (p) => `${p} (${await portHolder(p)})`))}`,
      ).toEqual([]);
      const start = startPipelineRun(
        stopNames,
        { FETCH_ON_START: 'false', FETCH_SCHEDULE_ENABLED: 'false' },
        via,
      );
      let started: ProcEntry[] = [];
      let groups: number[] = [];
      try {
        await eventually(
          'npm start to serve every port',
          async () => ((await openPorts()).length === startPorts.length ? true : undefined),
          120_000,
        ).catch((error: Error) => {
          throw new Error(`${error.message}\n${start.output().slice(-4000)}`);
        });
        // Taken before the signal: an orphan is re-parented, and could no longer be found from the start.
        started = descendantsOf(start.pid, processTable());
        groups = [...new Set(started.map((p) => p.pgid))];
        if (terminal === 'closed') start.closeOutput();

        // The leaders of the groups npm start made (serverless-offline's): start.ts must outlive them. Had it
        // died of the signal, they would run on re-parented, until a write to its closed pipe ended them.
        const leaders = started.filter((p) => p.pid === p.pgid && p.pgid !== start.pid);
        const orphans = new Set<string>();

        const exit = await start.signal(signal);
        await eventually(
          'every process npm start started to exit and every port to be free',
          async () => {
            const table = processTable();
            for (const p of reparented(leaders, table)) orphans.add(`${p.pid} ${p.name}`);
            const running = [
              ...stillRunning(started, table),
              ...groups.flatMap((g) => groupMembers(g, table)),
            ];
            return running.length === 0 && (await openPorts()).length === 0 ? true : undefined;
          },
          60_000,
        ).catch(async (error: Error) => {
          const running = stillRunning(started, processTable()).map(
            (p) => `${p.pid} ${p.name} (group ${p.pgid})`,
          );
          throw new Error(`${error.message}: running ${running.join(', ')}; open ports ${await openPorts()}`);
        });

        // serverless-offline ran in a group of its own, which the signal to this group never reached.
        expect(leaders).not.toEqual([]);
        expect(started.length).toBeGreaterThanOrEqual(3);
        expect([...orphans], 'serverless-offline outlived npm start').toEqual([]);
        if (via === 'node') {
          expect(exit).toBe(0);
          expect(start.output()).toContain(`[start] ${signal}: stopping serverless-offline`);
          expect(start.output()).toContain(
            '[start] stopped: serverless-offline, the local randomuser API, the summary',
          );
        }
      } finally {
        // A failed case must not leave a serverless-offline on the shared ports for the next test.
        for (const group of groups) {
          try {
            process.kill(-group, 'SIGKILL');
          } catch {
            // Gone, as it should be.
          }
        }
        await start.kill();
      }
    },
  );
});
