/**
 * Schema ids on the wire (issue 16, item 3), against the stack's Schema Registry, Kafka, PostgreSQL and
 * Cassandra: publish-users, given the registry, writes every value of a run's outbox in the Confluent wire
 * format with the id the migrations registered; sink-users, given the registry, writes them all to Cassandra
 * and dead-letters the records whose id the registry does not know or whose header is cut short, and reads
 * the value as an event source with a schema registry delivers it (no header, the id on the record).
 *
 * Each run has its own database, topics and subject (`<topic>-value`, registered by the migrations as for
 * `users_created`), so the shared `users_created-value` is never touched.
 */
import { randomUUID } from 'node:crypto';
import cassandra from 'cassandra-driver';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCassandraClient } from '../../functions/lib/cassandra.ts';
import { config as defaults } from '../../functions/lib/config.ts';
import { createKafka, createRecordSender } from '../../functions/lib/kafka.ts';
import { createLogger } from '../../functions/lib/logger.ts';
import { createOutbox } from '../../functions/lib/outbox.ts';
import { createPool } from '../../functions/lib/postgres.ts';
import { publishedSchemaText } from '../../functions/lib/published-schemas.ts';
import { createSchemaRegistry, valueSubject } from '../../functions/lib/registry.ts';
import { createSchemaVersions, createWriterSchemaId } from '../../functions/lib/schema-ids.ts';
import type { Config } from '../../functions/lib/settings.ts';
import { createdUserColumns, toCreatedUserRow, userCreated } from '../../functions/lib/users-created.ts';
import { frameValue, wireHeaderBytes } from '../../functions/lib/wire-format.ts';
import { createHandler as createRelay } from '../../functions/publish-users/app.ts';
import { createHandler as createSink } from '../../functions/sink-users/app.ts';
import { rejectionCodes } from '../../functions/sink-users/core.ts';
import { createUserSink } from '../../functions/sink-users/sink.ts';
import { schemaRegistryUrl } from '../../infra/local/config.ts';
import { resolvePostgres } from '../../infra/local/endpoints.ts';
import { migrate } from '../../infra/migrations/migrate.ts';
import { readAll, toLambdaEvents } from '../helpers/kafka-events.ts';
import { cassandraClient, createTopic, kafkaClient, stackConfig, uniqueName } from '../helpers/stack.ts';
import { sampleBatch, sampleUser } from '../helpers/users-created.ts';

const stack = stackConfig();
const endpoint = resolvePostgres(stack);
const registry = createSchemaRegistry({ url: schemaRegistryUrl(stack) });
const valueSchema = publishedSchemaText('users-created.value.v1.json');
const logger = createLogger('wire-format-it', { level: 'SILENT', stage: 'local' });
const database = uniqueName('wire_format_test');
const topic = uniqueName('it_wire');
const deadLetterTopic = `${topic}.dlq`;
const subject = valueSubject(topic);
const kafka = kafkaClient(stack);

const config: Config = {
  ...defaults,
  kafka: { brokers: [`${stack.kafka.host}:${stack.kafka.port}`], clientId: 'wire-format-it' },
  cassandra: {
    contactPoints: [`${stack.cassandra.host}:${stack.cassandra.port}`],
    localDataCenter: stack.cassandra.localDataCenter,
    keyspace: defaults.cassandra.keyspace,
  },
  topics: { usersCreated: topic, deadLetter: deadLetterTopic },
};
const pool = createPool({
  service: 'wire-format-it',
  postgres: { host: endpoint.host, port: endpoint.port, user: endpoint.user, database },
});
const sender = createRecordSender(createKafka(config));
const cassandraForSink = createCassandraClient(config);
const reader = cassandraClient(stack, config.cassandra.keyspace);

/** A client of a database on the stack's server: this run's, or `postgres` to drop it. */
function client(name: string): pg.Client {
  return new pg.Client({ host: endpoint.host, port: endpoint.port, user: endpoint.user, database: name });
}

beforeAll(async () => {
  await migrate(['postgres'], { config: stack, postgres: { database } });
  await Promise.all([createTopic(topic, 3, stack), createTopic(deadLetterTopic, 1, stack)]);
  // The migrations register the published value schema under this run's subject, as for users_created.
  await migrate(['registry'], { config: stack, kafka: { topics: [{ topic, numPartitions: 3 }] } });
});

afterAll(async () => {
  await Promise.allSettled([pool.end(), sender.disconnect(), cassandraForSink.shutdown(), reader.shutdown()]);
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic, deadLetterTopic] }).catch(() => {});
  await admin.disconnect();
  const maintenance = client('postgres');
  await maintenance.connect();
  await maintenance
    .query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`)
    .finally(() => maintenance.end());
});

/** Outbox rows for `ids`, as store-users writes them. */
async function seed(ids: readonly string[]): Promise<void> {
  const db = client(database);
  await db.connect();
  try {
    await db.query(
      `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload)
       SELECT id, 'user', id::text, 'UserCreated', payload FROM unnest($1::uuid[], $2::jsonb[]) AS s(id, payload)`,
      [ids, ids.map((id) => JSON.stringify(userCreated(sampleUser(id), sampleBatch)))],
    );
  } finally {
    await db.end();
  }
}

/** The `created_users` rows of `ids`, by id, as the sink's mapping spells them. */
async function storedRows(ids: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
  const result = await reader.execute(
    `SELECT ${createdUserColumns.join(', ')} FROM created_users WHERE id IN ?`,
    [ids],
    { prepare: true },
  );
  return new Map(
    result.rows.map((row) => [
      String(row.get('id')),
      Object.fromEntries(
        createdUserColumns.map((column) => {
          const value: unknown = row.get(column);
          return [column, value instanceof cassandra.types.Uuid ? value.toString() : value];
        }),
      ),
    ]),
  );
}

describe('the Confluent wire format on users_created', () => {
  it('is what publish-users writes with a registry: byte 0, then the id the migrations registered', async () => {
    const ids = Array.from({ length: 40 }, () => randomUUID());
    await seed(ids);
    const relay = createRelay({
      config: { topics: config.topics, relay: { ...config.relay, batchSize: 25 } },
      logger,
      outbox: createOutbox(pool, { logger }),
      sender,
      now: () => new Date(),
      valueSchemaId: createWriterSchemaId(registry, subject, valueSchema),
    });

    const result = await relay({}, { getRemainingTimeInMillis: () => 120_000 });
    const registered = await registry.find(subject, valueSchema);
    const records = await readAll(kafka, topic);

    expect(result).toMatchObject({ published: ids.length, dead: 0 });
    expect(registered).toBeDefined();
    expect(records).toHaveLength(ids.length);
    for (const record of records) {
      const value = record.value ?? Buffer.alloc(0);
      expect(value[0]).toBe(0);
      expect(value.readInt32BE(1)).toBe(registered?.id);
      const key = record.key?.toString() ?? '';
      expect(JSON.parse(value.subarray(wireHeaderBytes).toString('utf8'))).toEqual(
        userCreated(sampleUser(key), sampleBatch),
      );
    }
    expect(new Set(records.map((r) => r.key?.toString()))).toEqual(new Set(ids));
  });

  it('is read by sink-users with the registry, which dead-letters unknown ids and cut headers', async () => {
    const registered = await registry.find(subject, valueSchema);
    if (registered === undefined) throw new Error(`${subject} lacks the value schema`);
    // Two more records in the wire format that no producer with a registry would write: an id the registry
    // has never given out, and a header cut short.
    const unknownId = 2_000_000_000;
    const strays: string[] = [randomUUID(), randomUUID()];
    await sender.send(topic, [
      {
        key: strays[0] ?? '',
        value: frameValue(unknownId, JSON.stringify(userCreated(sampleUser(strays[0] ?? ''), sampleBatch))),
      },
      { key: strays[1] ?? '', value: Buffer.from([0, 0, 0]) },
    ]);
    const records = await readAll(kafka, topic);
    const published = records.filter((r) => !strays.includes(r.key?.toString() ?? ''));
    const sink = createSink({
      config: { topics: config.topics },
      logger,
      sink: createUserSink(cassandraForSink, config),
      deadLetters: sender,
      now: () => new Date(),
      schemaVersions: createSchemaVersions(registry, subject),
    });

    let written = 0;
    let deadLettered = 0;
    for (const event of toLambdaEvents(records, 30)) {
      const result = await sink(event);
      written += result.written;
      deadLettered += result.deadLettered;
    }
    const ids = published.map((r) => r.key?.toString() ?? '');
    const stored = await storedRows([...ids, ...strays]);
    const dead = await readAll(kafka, deadLetterTopic);

    expect({ written, deadLettered }).toEqual({ written: published.length, deadLettered: 2 });
    expect(new Set(stored.keys())).toEqual(new Set(ids));
    for (const id of ids) expect(stored.get(id)).toEqual(toCreatedUserRow(sampleUser(id)));
    expect(
      Object.fromEntries(dead.map((r) => [r.key?.toString(), r.headers['dlq.error.type']?.toString()])),
    ).toEqual({
      [strays[0] ?? '']: rejectionCodes.unknownSchema,
      [strays[1] ?? '']: rejectionCodes.framing,
    });
    // The dead letters keep the bytes as they were, header included.
    expect(dead.find((r) => r.key?.toString() === strays[1])?.value).toEqual(Buffer.from([0, 0, 0]));
  });

  it('is read by sink-users as an event source with a registry delivers it: no header, the id on the record', async () => {
    const registered = await registry.find(subject, valueSchema);
    if (registered === undefined) throw new Error(`${subject} lacks the value schema`);
    const id = randomUUID();
    const [event] = toLambdaEvents([
      {
        topic,
        partition: 0,
        offset: 1_000_000,
        timestamp: Date.now(),
        key: Buffer.from(id),
        value: Buffer.from(JSON.stringify(userCreated(sampleUser(id), sampleBatch))),
        headers: {},
      },
    ]);
    if (event === undefined) throw new Error('no event');
    const decoded = {
      ...event,
      records: Object.fromEntries(
        Object.entries(event.records).map(([group, list]) => [
          group,
          list.map((r) => ({
            ...r,
            valueSchemaMetadata: { dataFormat: 'JSON', schemaId: String(registered.id) },
          })),
        ]),
      ),
    };
    const sink = createSink({
      config: { topics: config.topics },
      logger,
      sink: createUserSink(cassandraForSink, config),
      deadLetters: sender,
      now: () => new Date(),
      schemaVersions: createSchemaVersions(registry, subject),
    });

    const result = await sink(decoded);
    const stored = await storedRows([id]);

    expect(result).toMatchObject({ written: 1, deadLettered: 0 });
    expect(stored.get(id)).toEqual(toCreatedUserRow(sampleUser(id)));
  });

  it('has no id for publish-users when the subject lacks the schema: it says to migrate', async () => {
    const unmigrated = valueSubject(uniqueName('it_wire_unmigrated'));
    const valueSchemaId = createWriterSchemaId(registry, unmigrated, valueSchema);

    const error = await valueSchemaId().catch((e: unknown) => e);

    expect(error).toMatchObject({
      name: 'ConfigError',
      code: 'SCHEMA_NOT_REGISTERED',
      message: expect.stringContaining('npm run migrate'),
    });
  });
});
