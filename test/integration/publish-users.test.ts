/**
 * The outbox relay against the real local stack. The relay drains every unpublished row it can claim, so
 * each run gets a database of its own (migrated like `pipeline`, dropped afterwards), and each test its own
 * Kafka topic; other work on the shared servers never sees these rows, and these tests never see theirs.
 */
import { randomUUID } from 'node:crypto';
import { ConfigResourceTypes, logLevel } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { config } from '../../functions/lib/config.ts';
import { createKafka, createRecordSender, type RecordSender } from '../../functions/lib/kafka.ts';
import { createLogger } from '../../functions/lib/logger.ts';
import { beginClaimSql, createOutbox } from '../../functions/lib/outbox.ts';
import { createPool, inTransaction } from '../../functions/lib/postgres.ts';
import type { Config } from '../../functions/lib/settings.ts';
import { userCreated } from '../../functions/lib/users-created.ts';
import { createHandler, type RelayContext } from '../../functions/publish-users/app.ts';
import { resolvePostgres } from '../../infra/local/endpoints.ts';
import { migrate } from '../../infra/migrations/migrate.ts';
import { Kafka } from '../../lib/kafkajs.ts';
import { readAll } from '../helpers/kafka-events.ts';
import { createTopic, kafkaClient, stackConfig, uniqueName } from '../helpers/stack.ts';
import { largestUser, sampleBatch, sampleUser } from '../helpers/users-created.ts';

const cfg = stackConfig();
const endpoint = resolvePostgres(cfg);
const database = uniqueName('publish_users_test');
const kafka = kafkaClient(cfg);
const admin = kafka.admin();
const db = isolatedClient(database);
const logger = createLogger('publish-users', { level: 'ERROR', stage: 'local' });

// Everything a test opens, closed in afterAll.
const pools: pg.Pool[] = [];
const senders: RecordSender[] = [];
const topics: string[] = [];

/** A client of this run's database (or another on the same server); never the shared `pipeline`. */
function isolatedClient(name: string): pg.Client {
  return new pg.Client({ host: endpoint.host, port: endpoint.port, user: endpoint.user, database: name });
}

beforeAll(async () => {
  await migrate(['postgres'], { config: cfg, postgres: { database } });
  await Promise.all([db.connect(), admin.connect()]);
  // beforeEach truncates the outbox: make sure it is this run's.
  const current = await db.query<{ name: string }>('SELECT current_database() AS name');
  if (current.rows[0]?.name !== database)
    throw new Error(`connected to ${current.rows[0]?.name}, not ${database}`);
});

afterAll(async () => {
  await Promise.all([...senders.map((s) => s.disconnect()), ...pools.map((p) => p.end())]);
  await db.end();
  const existing = new Set(await admin.listTopics());
  const created = topics.filter((t) => existing.has(t));
  if (created.length > 0) await admin.deleteTopics({ topics: created });
  await admin.disconnect();
  const maintenance = isolatedClient('postgres');
  await maintenance.connect();
  try {
    await maintenance.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  } finally {
    await maintenance.end();
  }
});

beforeEach(async () => {
  await db.query('TRUNCATE outbox');
});

/** A fresh 6-partition topic for one test. */
async function freshTopic(): Promise<string> {
  const topic = uniqueName('publish_users');
  topics.push(topic);
  await createTopic(topic, 6, cfg);
  return topic;
}

/** A relay on its own pool and producer, publishing to `topic`, with relay settings overridden. */
function relay(topic: string, overrides: Partial<Config['relay']> = {}, sender?: RecordSender) {
  const pool = createPool({
    service: 'publish-users-it',
    postgres: { host: endpoint.host, port: endpoint.port, user: endpoint.user, database },
  });
  pools.push(pool);
  const kafkaSender = sender ?? createRecordSender(createKafka(config));
  senders.push(kafkaSender);
  return createHandler({
    config: {
      topics: { ...config.topics, usersCreated: topic },
      relay: { ...config.relay, ...overrides },
    },
    logger,
    outbox: createOutbox(pool, { logger }),
    sender: kafkaSender,
    now: () => new Date(),
  });
}

const roomy: RelayContext = { getRemainingTimeInMillis: () => 120_000 };

/**
 * Inserts one valid outbox row per id, as store-users writes them, created in the order given; the ids in
 * `largest` carry the largest user the contract allows.
 */
async function seed(ids: readonly string[], largest = new Set<string>()): Promise<void> {
  const base = Date.parse('2026-01-01T00:00:00.000Z');
  await db.query(
    `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, created_at)
     SELECT id, 'user', id::text, 'UserCreated', payload, created_at
       FROM unnest($1::uuid[], $2::jsonb[], $3::timestamptz[]) AS s(id, payload, created_at)`,
    [
      ids,
      ids.map((id) =>
        JSON.stringify(
          userCreated(largest.has(id) ? largestUser(id) : sampleUser(id), {
            ...sampleBatch,
            batchId: 'it:1',
          }),
        ),
      ),
      ids.map((_, i) => new Date(base + i).toISOString()),
    ],
  );
}

function freshIds(n: number): string[] {
  return Array.from({ length: n }, () => randomUUID());
}

interface OutboxState {
  id: string;
  published: boolean;
  dead: boolean;
  attempts: number;
  last_error: string | null;
}

async function outboxState(): Promise<Map<string, OutboxState>> {
  const result = await db.query<OutboxState>(
    `SELECT id::text AS id, published_at IS NOT NULL AS published, dead_at IS NOT NULL AS dead, attempts, last_error
       FROM outbox`,
  );
  return new Map(result.rows.map((row) => [row.id, row]));
}

interface Consumed {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** Every message on `topic`: the high watermarks say how many, a fresh consumer group reads them all. */
/** The records on `topic`, as text. */
async function readTopic(topic: string): Promise<Consumed[]> {
  return (await readAll(kafka, topic)).map((r) => ({
    key: r.key?.toString() ?? '',
    value: r.value?.toString() ?? '',
    headers: Object.fromEntries(Object.entries(r.headers).map(([name, bytes]) => [name, bytes.toString()])),
  }));
}

describe('publish-users relay', () => {
  it('publishes every seeded row exactly once, keyed by user id, with headers, and marks it published', async () => {
    const topic = await freshTopic();
    const ids = freshIds(2000);
    await seed(ids);
    const handler = relay(topic, { batchSize: 500 });

    const result = await handler(
      { 'detail-type': 'UsersStored', detail: { batchId: 'it:1', count: 2000 } },
      roomy,
    );

    expect(result).toEqual({ batches: 5, published: 2000, dead: 0, stoppedBecause: 'empty' });
    const messages = await readTopic(topic);
    expect(messages).toHaveLength(2000);
    expect(new Set(messages.map((m) => m.key))).toEqual(new Set(ids));
    const sample = messages[0];
    expect(sample?.headers).toEqual({
      'batch-id': 'it:1',
      'fetched-at': '2026-01-01T00:00:00.000Z',
      'event-type': 'UserCreated',
      'outbox-id': sample?.key,
    });
    expect(messages.every((m) => m.headers['outbox-id'] === m.key && m.headers['batch-id'] === 'it:1')).toBe(
      true,
    );
    expect(JSON.parse(sample?.value ?? '')).toEqual(
      userCreated(sampleUser(sample?.key ?? ''), { ...sampleBatch, batchId: 'it:1' }),
    );
    const state = await outboxState();
    expect([...state.values()].every((row) => row.published && !row.dead && row.attempts === 1)).toBe(true);
  });

  it('claims with seq and bitmap scans off, in the claim transaction only (one round trip with its BEGIN)', async () => {
    // One connection, so the query after the transaction runs on the session that ran the claim's BEGIN.
    const pool = new pg.Pool({
      host: endpoint.host,
      port: endpoint.port,
      user: endpoint.user,
      database,
      max: 1,
    });
    pools.push(pool);
    const show = 'SELECT current_setting($1) AS seq, current_setting($2) AS bitmap';
    const names = ['enable_seqscan', 'enable_bitmapscan'];
    const inside = await inTransaction(
      pool,
      'claim settings',
      (client) => client.query(show, names),
      beginClaimSql,
    );
    expect(inside.rows[0]).toEqual({ seq: 'off', bitmap: 'off' });
    // The same pooled connection afterwards: SET LOCAL ended with the transaction.
    expect((await pool.query(show, names)).rows[0]).toEqual({ seq: 'on', bitmap: 'on' });
  });

  it('lets two relays run at once without claiming any row twice', async () => {
    const topic = await freshTopic();
    const ids = freshIds(2000);
    await seed(ids);
    const first = relay(topic, { batchSize: 100 });
    const second = relay(topic, { batchSize: 100 });

    const [a, b] = await Promise.all([first({}, roomy), second({}, roomy)]);

    expect(a.published + b.published).toBe(2000);
    const messages = await readTopic(topic);
    expect(messages).toHaveLength(2000);
    expect(new Set(messages.map((m) => m.key))).toEqual(new Set(ids));
    const state = await outboxState();
    expect([...state.values()].every((row) => row.published && row.attempts === 1)).toBe(true);
  });

  it('skips rows another transaction holds, and publishes them on a later run', async () => {
    const topic = await freshTopic();
    const ids = freshIds(10);
    await seed(ids);
    const held = ids.slice(0, 3);
    const holder = isolatedClient(database);
    await holder.connect();
    const handler = relay(topic);

    let whileHeld: Awaited<ReturnType<typeof handler>>;
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM outbox WHERE id = ANY($1::uuid[]) FOR UPDATE', [held]);
      whileHeld = await handler({}, roomy);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    const stateWhileHeld = await outboxState();
    const later = await handler({}, roomy);

    expect(whileHeld).toMatchObject({ published: 7, stoppedBecause: 'empty' });
    expect(held.every((id) => stateWhileHeld.get(id)?.published === false)).toBe(true);
    expect(later).toMatchObject({ published: 3 });
    const messages = await readTopic(topic);
    expect(messages.map((m) => m.key).sort()).toEqual([...ids].sort());
  });

  describe('a message over the size limit', () => {
    // The contract keeps the largest valid user to a few tens of kilobytes (userLimits), far under Kafka's
    // default message.max.bytes (1048588), so the limits come down instead: to 16 KB, under the largest
    // user's record (about 34 KB) and over six sample records in one batch (about 7 KB).
    const limitBytes = 16 * 1024;

    async function seedAroundHuge() {
      const before = freshIds(3);
      const huge = randomUUID();
      const after = freshIds(3);
      await seed([...before, huge, ...after], new Set([huge]));
      return { huge, small: [...before, ...after] };
    }

    it('is marked dead before sending, and the rows created after it are published', async () => {
      const topic = await freshTopic();
      const { huge, small } = await seedAroundHuge();
      const handler = relay(topic, { maxMessageBytes: limitBytes });

      const result = await handler({}, roomy);

      expect(result).toMatchObject({ published: 6, dead: 1, stoppedBecause: 'empty' });
      const state = await outboxState();
      expect(state.get(huge)).toMatchObject({ published: false, dead: true, attempts: 1 });
      expect(state.get(huge)?.last_error).toMatch(
        /^record too large for Kafka: about \d+ bytes, over the limit/,
      );
      expect(small.every((id) => state.get(id)?.published === true)).toBe(true);
      const messages = await readTopic(topic);
      expect(messages).toHaveLength(6);
      expect(new Set(messages.map((m) => m.key))).toEqual(new Set(small));
    });

    it('is marked dead when the broker refuses it, and its neighbours are still published', async () => {
      const topic = await freshTopic();
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: topic,
            configEntries: [{ name: 'max.message.bytes', value: String(limitBytes) }],
          },
        ],
      });
      const { huge, small } = await seedAroundHuge();
      // The relay's limit is the default, far above this topic's, so the pre-check passes and the broker has
      // the last word.
      const handler = relay(topic);

      const result = await handler({}, roomy);

      expect(result).toMatchObject({ published: 6, dead: 1, stoppedBecause: 'empty' });
      const state = await outboxState();
      expect(state.get(huge)).toMatchObject({ published: false, dead: true, attempts: 1 });
      expect(state.get(huge)?.last_error).toMatch(/^record too large for Kafka: Kafka refused a record/);
      expect(small.every((id) => state.get(id)?.published === true)).toBe(true);
      // The refused request may have written other partitions before the one-at-a-time resend: at-least-once.
      const messages = await readTopic(topic);
      expect(new Set(messages.map((m) => m.key))).toEqual(new Set(small));
    });
  });

  it('rejects with a retryable error when Kafka is unreachable, leaving the rows unpublished', async () => {
    const topic = await freshTopic();
    const ids = freshIds(5);
    await seed(ids);
    const unreachable = new Kafka({
      clientId: 'publish-users-it',
      brokers: ['127.0.0.1:1'],
      connectionTimeout: 500,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
    const handler = relay(topic, {}, createRecordSender(unreachable));

    const run = handler({}, roomy);

    await expect(run).rejects.toMatchObject({ retryable: true, code: 'KAFKA_UNAVAILABLE' });
    const state = await outboxState();
    for (const id of ids) {
      expect(state.get(id)).toMatchObject({ published: false, dead: false, attempts: 1 });
      expect(state.get(id)?.last_error).toContain('cannot connect to Kafka');
    }
  });

  describe('the time budget', () => {
    it('claims nothing when less than the margin remains', async () => {
      const topic = await freshTopic();
      const ids = freshIds(5);
      await seed(ids);
      const handler = relay(topic, { timeMarginMs: 5_000 });

      const result = await handler({}, { getRemainingTimeInMillis: () => 1_000 });

      expect(result).toEqual({ batches: 0, published: 0, dead: 0, stoppedBecause: 'time' });
      const state = await outboxState();
      expect([...state.values()].every((row) => !row.published && !row.dead && row.attempts === 0)).toBe(
        true,
      );
    });

    it('stops between batches when time runs low, and the next run publishes the rest', async () => {
      const topic = await freshTopic();
      const ids = freshIds(25);
      await seed(ids);
      const handler = relay(topic, { batchSize: 10, timeMarginMs: 5_000 });
      const remaining = [60_000, 60_000, 1_000];

      const first = await handler({}, { getRemainingTimeInMillis: () => remaining.shift() ?? 0 });
      const published = [...(await outboxState()).values()].filter((row) => row.published).length;
      const second = await handler({}, roomy);

      expect(first).toEqual({ batches: 2, published: 20, dead: 0, stoppedBecause: 'time' });
      expect(published).toBe(20);
      expect(second).toMatchObject({ published: 5, stoppedBecause: 'empty' });
      // Every row once in the relay's accounting above; on the topic, a row may appear twice: when a produce
      // request fails for one partition of a topic this new ("not the leader"), kafkajs sends the whole
      // request again (at least once; kafkajs's idempotent mode cannot be used, as it wedges after a refused
      // record). The sink's upserts make that harmless.
      const messages = await readTopic(topic);
      expect(new Set(messages.map((m) => m.key))).toEqual(new Set(ids));
    });
  });
});
