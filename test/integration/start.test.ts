/**
 * `npm start` as a new user runs it, with the defaults except for the names (its own topic, keyspace and
 * database, so the count it watches is its own): the stack comes up (or is reused), the migrations apply,
 * serverless-offline serves the functions, fetch-users runs at once, the users show up in Cassandra and in
 * the live summary (the local EventBridge's deliveries too), and Ctrl-C (SIGINT to the process group) stops everything it started.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { portOpen } from '../../infra/local/proc.ts';
import { pipelineRun, startPipelineRun } from '../helpers/process.ts';
import { dropRun, eventually, uniqueName } from '../helpers/stack.ts';

const run = uniqueName('start');
const names = pipelineRun(run);
const fetchTotal = 100;

afterAll(async () => {
  await dropRun({ keyspace: names.keyspace, topics: [names.topic, names.dlq], database: names.database });
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
    } finally {
      code = await start.interrupt();
    }

    expect(code).toBe(0);
    await eventually('npm start to release its ports', async () =>
      (await Promise.all([3000, 3002, 3100, 4010].map((port) => portOpen('127.0.0.1', port)))).some(Boolean)
        ? undefined
        : true,
    );
  });
});
