/** Helpers for integration tests: clients for the running local stack and unique names per run. */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import cassandra from 'cassandra-driver';
import { logLevel } from 'kafkajs';
import pg from 'pg';
import {
  cassandraContactPoint,
  kafkaBroker,
  loadStackConfig,
  type StackConfig,
} from '../../infra/local/config.ts';
import { resolvePostgres, stackConnection } from '../../infra/local/endpoints.ts';
import { cassandraDefaults, migrateCassandra } from '../../infra/migrations/cassandra.ts';
import { kafkaDefaults, migrateKafka } from '../../infra/migrations/kafka.ts';
import { Kafka } from '../../lib/kafkajs.ts';

/** A name unique to this test run, safe as a Kafka topic, CQL identifier and SQL identifier. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** A port on 127.0.0.1 that nothing listens on (one the system just gave out and took back). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address !== 'object') throw new Error('no port');
  return address.port;
}

export function stackConfig(): StackConfig {
  return loadStackConfig();
}

export function kafkaClient(cfg = stackConfig()): Kafka {
  return new Kafka({
    clientId: 'integration-test',
    brokers: [kafkaBroker(cfg)],
    logLevel: logLevel.NOTHING,
  });
}

export function cassandraClient(cfg = stackConfig(), keyspace?: string): cassandra.Client {
  return new cassandra.Client({
    contactPoints: [cassandraContactPoint(cfg)],
    localDataCenter: cfg.cassandra.localDataCenter,
    ...(keyspace ? { keyspace } : {}),
  });
}

/** A client for the pipeline database at the endpoint the stack recorded. */
export function postgresClient(cfg = stackConfig()): pg.Client {
  const ep = resolvePostgres(cfg);
  return new pg.Client(stackConnection(ep));
}

/** Polls `probe` every `intervalMs` until it returns a value, failing after `timeoutMs` with `what` in the message. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Reads `count` messages from the start of `topic` with a fresh consumer group; returns key → value. */
export async function consumeFromStart(
  kafka: Kafka,
  topic: string,
  count: number,
): Promise<Map<string, string>> {
  const consumer = kafka.consumer({ groupId: uniqueName('it-group') });
  const seen = new Map<string, string>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.set(message.key?.toString() ?? '', message.value?.toString() ?? '');
      },
    });
    await eventually(`${count} messages on ${topic}`, async () => (seen.size >= count ? true : undefined));
    return seen;
  } finally {
    await consumer.disconnect();
  }
}

/**
 * Creates a topic and waits until every partition has a leader. Goes through the migration code, which
 * waits on metadata itself: kafkajs' `waitForLeaders` can fail on Kafka 4's metadata lag after a create.
 */
export async function createTopic(topic: string, numPartitions: number, cfg = stackConfig()): Promise<void> {
  await migrateKafka({
    ...kafkaDefaults,
    brokers: [kafkaBroker(cfg)],
    topics: [{ topic, numPartitions }],
    log: () => undefined,
  });
}

/** Produces keyed string messages with acks=all. */
export async function produce(
  kafka: Kafka,
  topic: string,
  messages: ReadonlyArray<{ key: string; value: string }>,
): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [...messages] });
  } finally {
    await producer.disconnect();
  }
}

/** Creates `keyspace` with every Cassandra migration applied (created_users, the Spark aggregates). */
export async function createKeyspace(keyspace: string, cfg = stackConfig()): Promise<void> {
  await migrateCassandra({
    ...cassandraDefaults,
    keyspace,
    contactPoints: [cassandraContactPoint(cfg)],
    localDataCenter: cfg.cassandra.localDataCenter,
    directory: 'infra/migrations/cassandra',
    log: () => undefined,
  });
}

/** Drops what a run of the whole pipeline made for itself: its keyspace, topics and database. */
export async function dropRun(
  run: { keyspace: string; topics: readonly string[]; database: string },
  cfg = stackConfig(),
): Promise<void> {
  const cql = cassandraClient(cfg);
  await cql.execute(`DROP KEYSPACE IF EXISTS ${run.keyspace}`).catch(() => {});
  await cql.shutdown();
  const admin = kafkaClient(cfg).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [...run.topics] }).catch(() => {});
  await admin.disconnect();
  const db = postgresClient(cfg);
  await db.connect();
  await db.query(`DROP DATABASE IF EXISTS ${run.database} WITH (FORCE)`).catch(() => {});
  await db.end();
}

/** Every id in `keyspace.created_users`, one entry per row of a full scan (paged). */
export async function createdUserIds(cql: cassandra.Client, keyspace: string): Promise<string[]> {
  const rows: string[] = [];
  let pageState: string | undefined;
  do {
    const page = await cql.execute(`SELECT id FROM ${keyspace}.created_users`, [], {
      prepare: true,
      fetchSize: 5000,
      ...(pageState ? { pageState } : {}),
    });
    for (const row of page.rows) rows.push(String(row.get('id')));
    pageState = page.pageState ?? undefined;
  } while (pageState);
  return rows;
}
