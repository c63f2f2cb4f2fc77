/**
 * The whole pipeline as `npm start` runs it: serverless-offline with the local EventBridge (infra/eventbus)
 * and the local Kafka event source (offline-kafka), against the real
 * servers. The run has its own topic, dead-letter topic, keyspace and database (the same environment
 * variables a user would set), and the schedule is off, so the sink's table must hold exactly the users the
 * test seeds.
 */
import type cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userSchema } from '../../functions/lib/schemas.ts';
import { userCreated } from '../../functions/lib/users-created.ts';
import { portOpen } from '../../infra/local/proc.ts';
import type { Kafka } from '../../lib/kafkajs.ts';
import { readAll } from '../helpers/kafka-events.ts';
import { freshRawUsers, seededIds } from '../helpers/pipeline.ts';
import { type GroupProcess, pipelineRun, startPipelineRun } from '../helpers/process.ts';
import {
  cassandraClient,
  createdUserIds,
  dropRun,
  eventually,
  kafkaClient,
  uniqueName,
} from '../helpers/stack.ts';

const run = uniqueName('e2e');
const names = pipelineRun(run);
const total = 5000;
const lambdaApi = 'http://127.0.0.1:3002/2015-03-31/functions';

let kafka: Kafka;
let cql: cassandra.Client;
let offline: GroupProcess | undefined;

/** `npm start` with this run's names, the schedule off and no fetch at start. */
async function startPipeline(): Promise<GroupProcess> {
  const proc = startPipelineRun(names, {
    FETCH_SCHEDULE_ENABLED: 'false',
    FETCH_ON_START: 'false',
    FETCH_TOTAL: String(total),
    LOG_LEVEL: 'WARN',
  });
  await eventually(
    'npm start to consume the run topic',
    async () => (proc.output().includes(`consuming ${names.topic} as group`) ? true : undefined),
    180_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${proc.output().slice(-3000)}`);
  });
  return proc;
}

async function invoke(fn: string, event: unknown): Promise<unknown> {
  const res = await fetch(`${lambdaApi}/realtime-user-pipeline-local-${fn}/invocations`, {
    method: 'POST',
    body: JSON.stringify(event),
  });
  const body: unknown = await res.json();
  if (res.headers.get('x-amz-function-error')) throw new Error(`${fn} failed: ${JSON.stringify(body)}`);
  return body;
}

function seeded(seed: string): string[] {
  return seededIds(seed, total);
}

function sinkIds(): Promise<string[]> {
  return createdUserIds(cql, names.keyspace);
}

async function waitForIds(ids: readonly string[], what: string): Promise<string[]> {
  const wanted = new Set(ids);
  return eventually(
    what,
    async () => {
      const rows = await sinkIds();
      return rows.filter((id) => wanted.has(id)).length >= wanted.size ? rows : undefined;
    },
    240_000,
  );
}

beforeAll(async () => {
  kafka = kafkaClient();
  offline = await startPipeline();
  cql = cassandraClient();
}, 240_000);

afterAll(async () => {
  if (offline) expect(await offline.interrupt()).toBe(0);
  await cql?.shutdown();
  await dropRun({ keyspace: names.keyspace, topics: [names.topic, names.dlq], database: names.database });
  await eventually('npm start to free its ports', async () =>
    (await Promise.all([3000, 3002, 3100, 4010].map((p) => portOpen('127.0.0.1', p)))).some(Boolean)
      ? undefined
      : true,
  );
}, 120_000);

describe('the pipeline under npm start (sls offline start)', () => {
  const first = seeded(`${run}-a`);
  const second = seeded(`${run}-b`);

  it(`moves ${total} seeded users into Cassandra, each exactly once`, async () => {
    const result = await invoke('fetch-users', { seed: `${run}-a`, total });

    const rows = await waitForIds(first, `${total} users in ${names.keyspace}.created_users`);
    const onTopic = await readAll(kafka, names.topic);
    const keys = onTopic.map((r) => r.key?.toString());

    expect(result).toMatchObject({ received: total, published: total });
    expect(new Set(rows)).toEqual(new Set(first));
    expect(rows).toHaveLength(total);
    // Kafka is at least once (a produce retried after one partition failed repeats the others); the table
    // above is where exactly once is checked.
    expect(new Set(keys)).toEqual(new Set(first));
  });

  it('sends a non-JSON record and a schema-invalid record to the dead-letter topic with their bytes and headers, and delivers the records around them', async () => {
    const [before, after] = freshRawUsers(2).map((raw) => userSchema.parse(raw));
    if (!before || !after) throw new Error('no users');
    const value = (u: typeof before) =>
      JSON.stringify(userCreated(u, { batchId: `${run}:poison`, fetchedAt: new Date().toISOString() }));
    const invalid = JSON.stringify({ schemaVersion: 1, type: 'UserCreated', id: 'not-a-uuid' });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: names.topic,
      acks: -1,
      // One key, so the four land in one partition in this order.
      messages: [
        { key: 'poison', value: value(before), headers: { 'batch-id': 'p0' } },
        { key: 'poison', value: 'this is not JSON', headers: { 'batch-id': 'p1' } },
        { key: 'poison', value: invalid, headers: { 'batch-id': 'p2' } },
        { key: 'poison', value: value(after), headers: { 'batch-id': 'p3' } },
      ],
    });
    await producer.disconnect();

    await waitForIds([before.login.uuid, after.login.uuid], 'the neighbours of the poison records');
    const dead = await eventually('two dead letters', async () => {
      const records = await readAll(kafka, names.dlq);
      return records.length >= 2 ? records : undefined;
    });

    expect(dead.map((r) => r.value?.toString())).toEqual(['this is not JSON', invalid]);
    expect(dead.map((r) => r.key?.toString())).toEqual(['poison', 'poison']);
    expect(dead.map((r) => r.headers['batch-id']?.toString())).toEqual(['p1', 'p2']);
    for (const record of dead) {
      expect(record.headers['dlq.error.type']?.toString()).toMatch(/^VALUE_/);
      expect(record.headers['dlq.source.topic']?.toString()).toBe(names.topic);
    }
  });

  it('loses nothing when serverless-offline is killed mid-stream (SIGKILL) and started again', async () => {
    const running = offline;
    if (!running) throw new Error('not running');
    const wanted = new Set(second);

    await invoke('fetch-users', { seed: `${run}-b`, total });
    const atKill = await eventually(
      'the sink to start on the second seed',
      async () => {
        const n = (await sinkIds()).filter((id) => wanted.has(id)).length;
        return n > 0 ? n : undefined;
      },
      120_000,
    );
    await running.kill();
    offline = undefined;
    offline = await startPipeline();
    // No replay of the fetch: every UsersFetched was accepted before fetch-users answered, so the local
    // EventBridge holds it durably and delivers it after the new start, as AWS would.
    const rows = await waitForIds([...first, ...second], `all ${2 * total} seeded users after the restart`);
    const seeded = new Set([...first, ...second]);

    expect(atKill).toBeLessThan(total);
    expect(rows.filter((id) => seeded.has(id))).toHaveLength(2 * total);
    expect(new Set(rows.filter((id) => seeded.has(id)))).toEqual(seeded);
    expect(rows).toHaveLength(2 * total + 2);
  });
});
