/**
 * A hostile user, refused at every hop that validates, on the real stack: a record whose first name is
 * 200,000 characters long, over the contract's limit (`userLimits` in functions/lib/schemas.ts). fetch-users
 * quarantines it when the local randomuser stand-in serves it (`hostileNext`); store-users rejects it when a
 * `UsersFetched` event carries it past fetch-users; sink-users dead-letters it when it reaches the topic some
 * other way. Each time the reason names the field and the limit, never the value, and the other users go on.
 *
 * The run has its own topic, dead-letter topic and Cassandra keyspace; its users have fresh ids.
 */
import { randomUUID } from 'node:crypto';
import type cassandra from 'cassandra-driver';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler as createFetch, depsFor as fetchDeps } from '../../functions/fetch-users/app.ts';
import { createKafka } from '../../functions/lib/kafka.ts';
import { createPool } from '../../functions/lib/postgres.ts';
import { type User, userLimits, usersFetchedSchema } from '../../functions/lib/schemas.ts';
import { type Config, parseConfig } from '../../functions/lib/settings.ts';
import { deadLetterHeaders, userCreated } from '../../functions/lib/users-created.ts';
import { createHandler as createSink, depsFor as sinkDeps } from '../../functions/sink-users/app.ts';
import { createHandler as createStore, depsFor as storeDeps } from '../../functions/store-users/app.ts';
import { type LocalEventBus, startLocalEventBus } from '../../infra/eventbus/server.ts';
import { resolvePostgres } from '../../infra/local/endpoints.ts';
import { functionEnv } from '../../infra/local/function-env.ts';
import {
  generateUsers,
  hostileNameLength,
  type RandomUserServerHandle,
  startRandomUserServer,
} from '../../infra/randomuser/index.ts';
import type { Kafka } from '../../lib/kafkajs.ts';
import { readAll, toLambdaEvents } from '../helpers/kafka-events.ts';
import { captureOutput, freshUsers, pipelineEvent } from '../helpers/pipeline.ts';
import {
  cassandraClient,
  createKeyspace,
  createTopic,
  kafkaClient,
  stackConfig,
  uniqueName,
} from '../helpers/stack.ts';

const limit = userLimits.text['name.first'];
const reason = `name.first: at most ${limit} characters, got ${hostileNameLength}`;
const stack = stackConfig();
const topic = uniqueName('users_created_bounds');
const deadLetterTopic = `${topic}.dlq`;
const keyspace = uniqueName('bounds_it');

let api: RandomUserServerHandle;
let bus: LocalEventBus;
let config: Config;
let pool: pg.Pool;
let kafka: Kafka;
let cql: cassandra.Client;

/** `user` with the hostile first name. */
function hostile(user: User): User {
  return { ...user, name: { ...user.name, first: 'A'.repeat(hostileNameLength) } };
}

/** The lines the functions logged while `run` ran, parsed; output stays captured only for that time. */
async function logged<T>(run: () => Promise<T>): Promise<{ result: T; lines: Record<string, unknown>[] }> {
  const output = captureOutput();
  try {
    const result = await run();
    const lines = output
      .text()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    return { result, lines };
  } finally {
    output.restore();
  }
}

beforeAll(async () => {
  api = await startRandomUserServer({ port: 0 });
  bus = await startLocalEventBus();
  await createTopic(topic, 6, stack);
  await createTopic(deadLetterTopic, 1, stack);
  await createKeyspace(keyspace, stack);
  const postgres = resolvePostgres(stack);
  config = parseConfig({
    LOG_LEVEL: 'INFO',
    ...functionEnv(stack, {
      postgres,
      database: postgres.database,
      keyspace,
      topic,
      deadLetterTopic,
      randomuserUrl: api.url,
      eventBridgeEndpoint: bus.endpoint,
    }),
  });
  pool = createPool(config);
  kafka = createKafka(config);
  cql = cassandraClient(stack);
}, 120_000);

afterAll(async () => {
  await cql?.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
  const admin = kafkaClient(stack).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic, deadLetterTopic] }).catch(() => undefined);
  await admin.disconnect();
  await Promise.allSettled([pool?.end(), cql?.shutdown(), api?.close(), bus?.close()]);
});

describe('a user with a 200,000-character first name', () => {
  it('is quarantined by fetch-users in one short WARN line; the rest of its page is published', async () => {
    const seed = uniqueName('bounds-seed');
    const served = generateUsers({ seed, page: 1, results: 50 }).results.map((u) => u.login?.uuid);
    api.setFaults({ hostileNext: 1 });

    const { result, lines } = await logged(() =>
      createFetch(fetchDeps(config))({ seed, total: 50, pageSize: 50 }),
    );

    expect(api.stats().faults.hostile).toBe(1);
    expect(result).toMatchObject({ received: 50, published: 49, quarantined: 1 });
    const published = bus
      .ofType('UsersFetched')
      .map((e) => usersFetchedSchema.parse(e.detail))
      .filter((d) => d.seed === seed)
      .flatMap((d) => d.users.map((u) => u.login.uuid));
    expect(published).toEqual(served.slice(1));
    const warnings = lines.filter((line) => line.message === 'quarantined a randomuser record');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      level: 'WARN',
      index: 0,
      userId: served[0],
      code: 'VALIDATION_FAILED',
      reason: `invalid randomuser page 1 results[0]: ${reason}`,
    });
    expect(Math.max(...lines.map((line) => JSON.stringify(line).length))).toBeLessThan(2_000);
  });

  it('is rejected by store-users when an event carries it; its neighbours are stored', async () => {
    const [before, middle, after] = freshUsers(3);
    if (!before || !middle || !after) throw new Error('no users');
    const batchId = `${uniqueName('bounds')}:1`;
    const detail = {
      schemaVersion: 1,
      batchId,
      seed: 'bounds',
      page: 1,
      part: 0,
      parts: 1,
      fetchedAt: new Date().toISOString(),
      users: [before, hostile(middle), after],
    };

    const { result, lines } = await logged(() =>
      createStore(storeDeps(config))(pipelineEvent('UsersFetched', detail)),
    );
    const stored = await pool.query<{ id: string }>(
      'SELECT id::text AS id FROM users_raw WHERE id = ANY($1::uuid[])',
      [[before, middle, after].map((u) => u.login.uuid)],
    );

    expect(result).toMatchObject({ received: 3, stored: 2, rejected: 1 });
    expect(stored.rows.map((r) => r.id).sort()).toEqual([before.login.uuid, after.login.uuid].sort());
    const rejections = lines.filter((line) => line.message === 'rejected a user');
    expect(rejections).toHaveLength(1);
    expect(rejections[0]).toMatchObject({
      level: 'WARN',
      batchId,
      index: 1,
      code: 'VALIDATION_FAILED',
      reason: `invalid UsersFetched ${batchId} users[1]: ${reason}`,
    });
    expect(Math.max(...lines.map((line) => JSON.stringify(line).length))).toBeLessThan(2_000);
  });

  it('is dead-lettered by sink-users with the reason; the rest of its batch is in Cassandra', async () => {
    const users = freshUsers(4);
    const [first] = users;
    if (!first) throw new Error('no users');
    const batch = { batchId: `${keyspace}:1`, fetchedAt: new Date().toISOString() };
    const intruder = hostile({ ...first, login: { ...first.login, uuid: randomUUID() } });
    const sent = [...users.slice(0, 2), intruder, ...users.slice(2)];
    const producer = kafka.producer();
    await producer.connect();
    try {
      // One partition, so the hostile record lies between its neighbours in one batch.
      await producer.send({
        topic,
        acks: -1,
        messages: sent.map((user) => ({
          partition: 0,
          key: user.login.uuid,
          value: JSON.stringify(userCreated(user, batch)),
        })),
      });
    } finally {
      await producer.disconnect();
    }
    const records = await readAll(kafka, topic);
    const [event, ...more] = toLambdaEvents(records);
    if (!event) throw new Error('nothing on the topic');

    const { result } = await logged(() => createSink(sinkDeps(config))(event));
    const dead = await readAll(kafka, deadLetterTopic);
    const rows = await cql.execute(`SELECT id FROM ${keyspace}.created_users`);

    expect(more).toEqual([]);
    expect(result).toEqual({ received: 5, written: 4, deadLettered: 1, duplicates: 0 });
    expect(rows.rows.map((r) => String(r.get('id'))).sort()).toEqual(users.map((u) => u.login.uuid).sort());
    expect(dead).toHaveLength(1);
    const offset = records.find((r) => r.key?.toString() === intruder.login.uuid)?.offset;
    expect(dead[0]?.key?.toString()).toBe(intruder.login.uuid);
    expect(dead[0]?.value?.toString()).toBe(JSON.stringify(userCreated(intruder, batch)));
    expect(dead[0]?.headers[deadLetterHeaders.errorType]?.toString()).toBe('VALUE_INVALID');
    expect(dead[0]?.headers[deadLetterHeaders.errorMessage]?.toString()).toBe(
      `invalid ${topic}-0@${offset} value: user.${reason}`,
    );
  });
});
