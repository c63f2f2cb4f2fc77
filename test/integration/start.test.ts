/**
 * `npm start` as a new user runs it, with the defaults except for the names (its own topic, keyspace and
 * database, so the count it watches is its own): the stack comes up (or is reused), the migrations apply,
 * serverless-offline serves the functions, fetch-users runs at once, the users show up in Cassandra and in
 * the live summary, and Ctrl-C (SIGINT to the process group) stops everything it started.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../infra/local/config.ts';
import { portOpen } from '../../infra/local/proc.ts';
import { startGroup } from '../helpers/process.ts';
import { cassandraClient, eventually, kafkaClient, postgresClient, uniqueName } from '../helpers/stack.ts';

const run = uniqueName('start');
const names = { topic: `${run}_users`, dlq: `${run}_users.dlq`, keyspace: run, database: run };
const fetchTotal = 100;

afterAll(async () => {
  const cql = cassandraClient();
  await cql.execute(`DROP KEYSPACE IF EXISTS ${names.keyspace}`).catch(() => {});
  await cql.shutdown();
  const admin = kafkaClient().admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [names.topic, names.dlq] }).catch(() => {});
  await admin.disconnect();
  const db = postgresClient();
  await db.connect();
  await db.query(`DROP DATABASE IF EXISTS ${names.database} WITH (FORCE)`).catch(() => {});
  await db.end();
});

describe('npm start', () => {
  it('runs the pipeline under serverless-offline: users reach Cassandra within seconds, the summary shows each stage, and Ctrl-C stops everything', async () => {
    const start = startGroup(process.execPath, ['--import', 'tsx', 'infra/local/start.ts'], {
      cwd: repoRoot,
      env: {
        KAFKA_TOPIC: names.topic,
        KAFKA_DLQ_TOPIC: names.dlq,
        CASSANDRA_KEYSPACE: names.keyspace,
        PIPELINE_PGDATABASE: names.database,
        FETCH_TOTAL: String(fetchTotal),
        PIPELINE_STATUS_INTERVAL_MS: '1000',
      },
    });
    let code: number | string | undefined;
    try {
      const summary = await eventually(
        `a summary line with ${fetchTotal} users in Cassandra and every offset committed`,
        async () =>
          start
            .output()
            .split('\n')
            .find(
              (line) =>
                line.startsWith('[pipeline] ') &&
                line.includes(`cassandra ${fetchTotal} `) &&
                line.includes('lag 0 ['),
            ),
        180_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${start.output().slice(-4000)}`);
      });
      const ping = await fetch('http://127.0.0.1:3000/local/ping');

      expect(summary).toContain(
        `fetched ${fetchTotal} · stored ${fetchTotal} · outbox 0 pending · published ${fetchTotal}`,
      );
      expect(summary).toMatch(/lag 0 \[p0:0 p1:0 p2:0 p3:0 p4:0 p5:0\]/);
      expect(summary).toContain('dlq 0');
      expect(await ping.json()).toMatchObject({
        ok: true,
        stage: 'local',
        service: 'realtime-user-pipeline',
      });
      expect(start.output()).toContain('[start] randomuser API: http://127.0.0.1:3100/api/1.4/ (local)');
      expect(start.output()).toMatch(/migrate: postgres .*database start_/);
      expect(start.output()).toContain(`offline-kafka: sink-users: consuming ${names.topic} as group`);
    } finally {
      code = await start.interrupt();
    }

    expect(code).toBe(0);
    await eventually('npm start to release its ports', async () =>
      (await Promise.all([3000, 3002, 3100, 4010, 4011].map((port) => portOpen('127.0.0.1', port)))).some(
        Boolean,
      )
        ? undefined
        : true,
    );
  });
});
