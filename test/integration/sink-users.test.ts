/**
 * sink-users against the real local stack: real Kafka events built from the fixture users go through the
 * handler with the real Cassandra sink and the real Kafka dead-letter sender. Every test writes fresh user
 * ids (the fixture users with new `login.uuid`s) and dead-letters to its own topic, so runs never see each
 * other's data on the shared keyspace.
 */
import { randomUUID } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { afterAll, describe, expect, it } from 'vitest';
import { createCassandraClient } from '../../functions/lib/cassandra.ts';
import { config as defaults } from '../../functions/lib/config.ts';
import { TransientError } from '../../functions/lib/errors.ts';
import { createKafka, createRecordSender } from '../../functions/lib/kafka.ts';
import { createLogger } from '../../functions/lib/logger.ts';
import { type User, userSchema } from '../../functions/lib/schemas.ts';
import type { Config } from '../../functions/lib/settings.ts';
import {
  createdUserColumns,
  deadLetterHeaders,
  toCreatedUserRow,
  userCreated,
} from '../../functions/lib/users-created.ts';
import { createHandler } from '../../functions/sink-users/app.ts';
import { createUserSink, type UserSink } from '../../functions/sink-users/sink.ts';
import { fixtureUsers } from '../helpers/fixtures.ts';
import { readAll } from '../helpers/kafka-events.ts';
import { kafkaEvent, kafkaRecord, type RecordSpec } from '../helpers/kafka-records.ts';
import { cassandraClient, createTopic, kafkaClient, stackConfig, uniqueName } from '../helpers/stack.ts';
import { sampleBatch } from '../helpers/users-created.ts';

const stack = stackConfig();
const config: Config = {
  ...defaults,
  kafka: { brokers: [`${stack.kafka.host}:${stack.kafka.port}`], clientId: 'sink-users-it' },
  cassandra: {
    contactPoints: [`${stack.cassandra.host}:${stack.cassandra.port}`],
    localDataCenter: stack.cassandra.localDataCenter,
    keyspace: defaults.cassandra.keyspace,
  },
};

const cassandraForSink = createCassandraClient(config);
const sink = createUserSink(cassandraForSink, config);
const deadLetters = createRecordSender(createKafka(config));
const kafka = kafkaClient(stack);
const reader = cassandraClient(stack, config.cassandra.keyspace);

afterAll(async () => {
  await Promise.allSettled([cassandraForSink.shutdown(), deadLetters.disconnect(), reader.shutdown()]);
});

/** The fixture users as the pipeline keeps them, each with a new id so this run's rows are its own. */
function freshUsers(): User[] {
  return fixtureUsers().map((raw) => {
    const user = userSchema.parse(raw);
    return { ...user, login: { ...user.login, uuid: randomUUID() } };
  });
}

/** A handler over the real clients that dead-letters to `deadLetter`. */
function handlerFor(deadLetter: string, userSink: UserSink = sink) {
  return createHandler({
    config: { topics: { usersCreated: defaults.topics.usersCreated, deadLetter } },
    logger: createLogger('sink-users', { level: 'SILENT', stage: 'local' }),
    sink: userSink,
    deadLetters,
    now: () => new Date(),
  });
}

/** A valid record of `user` on `partition`, keyed by its id. */
function userRecord(user: User, partition: number, offset: number): RecordSpec {
  return {
    partition,
    offset,
    key: user.login.uuid,
    value: userCreated(user, sampleBatch),
    headers: { 'batch-id': 'it:1' },
  };
}

/** The stored rows of `ids`, by id, with uuids as text: comparable with `toCreatedUserRow`. */
async function storedRows(ids: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
  const result = await reader.execute(
    `SELECT ${createdUserColumns.join(', ')} FROM created_users WHERE id IN ?`,
    [ids],
    { prepare: true },
  );
  const rows = new Map<string, Record<string, unknown>>();
  for (const row of result.rows) {
    const id = String(row.get('id'));
    expect(rows.has(id), `id ${id} returned twice`).toBe(false);
    const stored: Record<string, unknown> = {};
    for (const column of createdUserColumns) {
      const value: unknown = row.get(column);
      stored[column] = value instanceof cassandra.types.Uuid ? value.toString() : value;
    }
    rows.set(id, stored);
  }
  return rows;
}

interface DeadLetter {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** The records on `topic`, bytes intact, headers as text. */
async function readDeadLetters(topic: string): Promise<DeadLetter[]> {
  return (await readAll(kafka, topic)).map((r) => ({
    key: r.key,
    value: r.value,
    headers: Object.fromEntries(Object.entries(r.headers).map(([name, bytes]) => [name, bytes.toString()])),
  }));
}

/** How many records `topic` holds over all its partitions. */
async function recordCount(topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

async function deadLetterTopic(): Promise<string> {
  const topic = uniqueName('sink_users_dlq');
  await createTopic(topic, 1, stack);
  return topic;
}

describe('sink-users on the local stack', () => {
  it('writes every user of a batch exactly once, and a replay of the batch changes nothing', async () => {
    const users = freshUsers();
    const ids = users.map((u) => u.login.uuid);
    const first = users[0];
    if (first === undefined) throw new Error('no users');
    // Six partitions, like users_created, plus a redelivery of the first user later in its partition.
    const specs = users.map((user, i) => userRecord(user, i % 6, 1000 + i));
    specs.push(userRecord(first, 0, 5000));
    const event = kafkaEvent(specs.map(kafkaRecord));
    const handler = handlerFor(await deadLetterTopic());

    const result = await handler(event);
    const before = await storedRows(ids);
    const replayed = await handler(event);
    const after = await storedRows(ids);

    expect(result).toEqual({ received: 101, written: 100, deadLettered: 0, duplicates: 1 });
    expect(replayed).toEqual(result);
    expect(new Set(before.keys())).toEqual(new Set(ids));
    expect(before.size).toBe(100);
    for (const user of users) expect(before.get(user.login.uuid)).toEqual(toCreatedUserRow(user));
    expect(after).toEqual(before);
  });

  it('dead-letters a non-JSON and a schema-invalid record with their original bytes, and writes their neighbours', async () => {
    const [alice, bob] = freshUsers();
    if (alice === undefined || bob === undefined) throw new Error('no users');
    const topic = await deadLetterTopic();
    const notJson = Buffer.from([0x7b, 0x6e, 0x6f, 0x74, 0x20, 0xc3, 0xa9, 0x7d]); // `{not é}`
    const invalidValue = Buffer.from(
      JSON.stringify({ ...userCreated(alice, sampleBatch), id: 'not-a-uuid' }),
      'utf8',
    );
    const event = kafkaEvent(
      [
        userRecord(alice, 2, 10),
        { partition: 2, offset: 11, key: 'bad-json-key', value: notJson, headers: { 'batch-id': 'it:bad' } },
        { partition: 3, offset: 7, key: alice.login.uuid, value: invalidValue },
        userRecord(bob, 3, 8),
      ].map(kafkaRecord),
    );
    const failedAfter = new Date();

    const result = await handlerFor(topic)(event);
    const stored = await storedRows([alice.login.uuid, bob.login.uuid]);
    const dead = await readDeadLetters(topic);

    expect(result).toEqual({ received: 4, written: 2, deadLettered: 2, duplicates: 0 });
    expect(stored.get(alice.login.uuid)).toEqual(toCreatedUserRow(alice));
    expect(stored.get(bob.login.uuid)).toEqual(toCreatedUserRow(bob));
    expect(dead).toHaveLength(2);
    const byOffset = new Map(dead.map((d) => [d.headers[deadLetterHeaders.sourceOffset], d]));
    const badJson = byOffset.get('11');
    const badSchema = byOffset.get('7');
    expect(badJson?.key).toEqual(Buffer.from('bad-json-key'));
    expect(badJson?.value).toEqual(notJson);
    expect(badJson?.headers).toMatchObject({
      'batch-id': 'it:bad',
      [deadLetterHeaders.errorType]: 'VALUE_NOT_JSON',
      [deadLetterHeaders.errorMessage]: 'invalid users_created-2@11 value: not JSON',
      [deadLetterHeaders.sourceTopic]: 'users_created',
      [deadLetterHeaders.sourcePartition]: '2',
      [deadLetterHeaders.attempts]: '1',
    });
    expect(badSchema?.key).toEqual(Buffer.from(alice.login.uuid));
    expect(badSchema?.value).toEqual(invalidValue);
    expect(badSchema?.headers).toMatchObject({
      [deadLetterHeaders.errorType]: 'VALUE_INVALID',
      [deadLetterHeaders.sourcePartition]: '3',
    });
    expect(badSchema?.headers[deadLetterHeaders.errorMessage]).toContain('id: Invalid UUID');
    for (const d of dead) {
      const failedAt = Date.parse(d.headers[deadLetterHeaders.failedAt] ?? '');
      expect(failedAt).toBeGreaterThanOrEqual(failedAfter.getTime());
      expect(failedAt).toBeLessThanOrEqual(Date.now());
    }
  });

  it('stores CQL injection attempts and Persian or accented names verbatim, and the table stays intact', async () => {
    const users = freshUsers();
    const persian = users.filter((u) => /\p{Script=Arabic}/u.test(u.name.first + u.name.last));
    const accented = users.filter(
      (u) => /[^\p{ASCII}]/u.test(u.name.last) && /\p{Script=Latin}/u.test(u.name.last),
    );
    const [template] = users;
    if (template === undefined || persian.length === 0 || accented.length === 0)
      throw new Error('fixture lacks names');
    const injections = [
      "'); DROP TABLE created_users; --",
      "Robert'); DROP TABLE created_users;--",
      "x' OR '1'='1",
      "\\'; TRUNCATE created_users; --",
      '"; DROP KEYSPACE spark_streams; --',
    ].map(
      (evil, i): User => ({
        ...template,
        name: { ...template.name, first: evil, last: `${evil} ${i}` },
        location: { ...template.location, city: evil },
        login: { ...template.login, uuid: randomUUID() },
      }),
    );
    const all = [...injections, ...persian, ...accented];
    const event = kafkaEvent(all.map((user, i) => kafkaRecord(userRecord(user, i % 6, i))));

    const result = await handlerFor(await deadLetterTopic())(event);
    const stored = await storedRows(all.map((u) => u.login.uuid));
    const tables = await reader.execute(
      'SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?',
      [config.cassandra.keyspace, 'created_users'],
      { prepare: true },
    );

    expect(result.written).toBe(all.length);
    expect(tables.rowLength).toBe(1);
    expect(stored.size).toBe(all.length);
    for (const user of all) {
      const row = stored.get(user.login.uuid);
      expect(row).toEqual(toCreatedUserRow(user));
      expect(Buffer.from(String(row?.first_name)).equals(Buffer.from(user.name.first))).toBe(true);
      expect(Buffer.from(String(row?.last_name)).equals(Buffer.from(user.name.last))).toBe(true);
    }
  });

  it('rejects with a retryable error and dead-letters nothing when Cassandra is unreachable', async () => {
    const [alice] = freshUsers();
    if (alice === undefined) throw new Error('no users');
    const topic = await deadLetterTopic();
    const unreachable = createCassandraClient({
      ...config,
      cassandra: { ...config.cassandra, contactPoints: ['127.0.0.1:1'] },
    });
    const event = kafkaEvent(
      [userRecord(alice, 0, 1), { partition: 0, offset: 2, key: 'k', value: 'not json' }].map(kafkaRecord),
    );

    try {
      const outcome = handlerFor(topic, createUserSink(unreachable, config))(event);

      await expect(outcome).rejects.toBeInstanceOf(TransientError);
      await expect(outcome).rejects.toMatchObject({ retryable: true, code: 'CASSANDRA_NO_HOST_AVAILABLE' });
      expect(await recordCount(topic)).toBe(0);
      expect((await storedRows([alice.login.uuid])).size).toBe(0);
    } finally {
      await unreachable.shutdown();
    }
  });
});
