/**
 * The console's server against the real stack, on a run of its own: a private topic and dead-letter topic,
 * keyspace and database, seeded with users at every hop (stored, published, sunk or not yet), dead letters,
 * a committed consumer group and a bus dead letter. Each route must return the numbers the stores hold; the
 * actions must need the token, a reset must be refused while the group has members and done without, and a
 * re-driven dead letter must arrive in Cassandra when corrected (through the real sink-users handler) and
 * come back to the dead letters when not.
 */
import cassandra from 'cassandra-driver';
import { Partitioners, type Producer } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCassandraClient } from '../../functions/lib/cassandra.ts';
import { config as defaults } from '../../functions/lib/config.ts';
import { createKafka, createRecordSender } from '../../functions/lib/kafka.ts';
import { createLogger } from '../../functions/lib/logger.ts';
import { publishedSchemaText } from '../../functions/lib/published-schemas.ts';
import { createSchemaRegistry, valueSubject } from '../../functions/lib/registry.ts';
import type { User } from '../../functions/lib/schemas.ts';
import {
  deadLetterHeaders,
  headerNames,
  insertUserCql,
  redriveHeaders,
  rowValues,
  toCreatedUserRow,
  userCreated,
} from '../../functions/lib/users-created.ts';
import { frameValue } from '../../functions/lib/wire-format.ts';
import { createHandler } from '../../functions/sink-users/app.ts';
import { createUserSink } from '../../functions/sink-users/sink.ts';
import type {
  DeadLetterPage,
  KafkaView,
  LiveSnapshot,
  MessagePage,
  RedriveResult,
  StackView,
  UserTrace,
} from '../../infra/console/api.ts';
import { partitionFor } from '../../infra/console/partition.ts';
import { type RunningConsole, startConsole } from '../../infra/console/server.ts';
import { type ConsoleSources, localSources } from '../../infra/console/sources.ts';
import { readyStack } from '../../infra/dev/ready.ts';
import { busEvent } from '../../infra/eventbus/server.ts';
import { ensureSchema, moveToDeadLetters, transaction } from '../../infra/eventbus/store.ts';
import { schemaRegistryUrl } from '../../infra/local/config.ts';
import { resolvePostgres, stackConnection } from '../../infra/local/endpoints.ts';
import { migrate } from '../../infra/migrations/migrate.ts';
import type { Kafka } from '../../lib/kafkajs.ts';
import { readAll, toLambdaEvents } from '../helpers/kafka-events.ts';
import { freshUsers } from '../helpers/pipeline.ts';
import {
  closedPort,
  createTopic,
  dropRun,
  eventually,
  kafkaClient,
  stackConfig,
  uniqueName,
} from '../helpers/stack.ts';

const run = uniqueName('console');
const names = { topic: `${run}_users`, deadLetterTopic: `${run}_users.dlq`, keyspace: run, database: run };
/** Where the wire-format records go: a topic of their own, so the run's counts stay as seeded. */
const wireTopic = `${run}_wire`;
const groupId = `${run}-sink`;
const base = stackConfig();
const cfg = {
  ...base,
  postgres: { ...base.postgres, database: run },
  pipeline: { ...base.pipeline, topic: names.topic, deadLetterTopic: names.deadLetterTopic, keyspace: run },
};

const users = freshUsers(20);
const published = users.slice(0, 18);
const sunk = users.slice(0, 15);
const batch = { batchId: `${run}:1`, fetchedAt: '2026-01-01T00:00:00.000Z' };
/** Where each published user landed: id → partition and offset. */
const landed = new Map<string, { partition: number; offset: string }>();
const lines: Array<(line: string) => void> = [];

let kafka: Kafka;
let producer: Producer;
let db: pg.Pool;
let cql: cassandra.Client;
let sources: ConsoleSources;
let consoleRun: RunningConsole;
let url: URL;
let token: string;

async function get<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(new URL(path, url));
  return { status: res.status, body: (await res.json()) as T };
}

async function post<T>(path: string, body: unknown, withToken = true): Promise<{ status: number; body: T }> {
  const res = await fetch(new URL(path, url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(withToken ? { 'x-console-token': token } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** Reads server-sent snapshots from /api/live until `done` says so; returns them. */
async function snapshots(
  done: (seen: LiveSnapshot[]) => boolean,
  timeoutMs = 30_000,
): Promise<LiveSnapshot[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const seen: LiveSnapshot[] = [];
  try {
    const res = await fetch(new URL('/api/live', url), { signal: abort.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body?.getReader();
    if (!reader) throw new Error('no body');
    const decoder = new TextDecoder();
    let text = '';
    while (!done(seen)) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      text += decoder.decode(value, { stream: true });
      const events = text.split('\n\n');
      text = events.pop() ?? '';
      for (const event of events) {
        const data = event.split('\n').find((l) => l.startsWith('data: '));
        if (event.includes('event: snapshot') && data) seen.push(JSON.parse(data.slice(6)) as LiveSnapshot);
      }
    }
    await reader.cancel();
  } finally {
    clearTimeout(timer);
  }
  return seen;
}

function messageOf(user: User): string {
  return JSON.stringify(userCreated(user, batch));
}

async function seed(): Promise<void> {
  // users_raw and the outbox, as store-users writes them; 18 published, 2 still pending.
  for (const [i, user] of users.entries()) {
    const id = user.login.uuid;
    await db.query('INSERT INTO users_raw (id, payload, batch_id, fetched_at) VALUES ($1, $2, $3, $4)', [
      id,
      JSON.stringify({ ...user, login: { ...user.login, password: 'hunter2' } }),
      batch.batchId,
      batch.fetchedAt,
    ]);
    await db.query(
      `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, published_at)
       VALUES ($1, 'user', $2, 'UserCreated', $3, $4)`,
      [id, id, messageOf(user), i < published.length ? new Date() : null],
    );
  }
  // The published ones on the topic, as the relay sends them.
  for (const user of published) {
    const id = user.login.uuid;
    const [meta] = await producer.send({
      topic: names.topic,
      acks: -1,
      messages: [
        {
          key: id,
          value: messageOf(user),
          headers: {
            [headerNames.outboxId]: id,
            [headerNames.batchId]: batch.batchId,
            [headerNames.eventType]: 'UserCreated',
          },
        },
      ],
    });
    if (!meta) throw new Error('no metadata');
    landed.set(id, { partition: meta.partition, offset: String(meta.baseOffset) });
  }
  // 15 of them sunk.
  for (const user of sunk) {
    await cql.execute(insertUserCql, rowValues(toCreatedUserRow(user)), { prepare: true });
  }
  // Two dead letters: one not JSON, one valid JSON that slipped a password in.
  const dlq = (value: string, errorType: string, sourceOffset: number) => ({
    key: `dead-${sourceOffset}`,
    value,
    headers: {
      [deadLetterHeaders.errorType]: errorType,
      [deadLetterHeaders.errorMessage]: 'the value is not a UserCreated',
      [deadLetterHeaders.sourceTopic]: names.topic,
      [deadLetterHeaders.sourcePartition]: '0',
      [deadLetterHeaders.sourceOffset]: String(sourceOffset),
      [deadLetterHeaders.attempts]: '1',
      [deadLetterHeaders.failedAt]: '2026-01-01T00:00:00.000Z',
    },
  });
  await producer.send({
    topic: names.deadLetterTopic,
    acks: -1,
    messages: [
      dlq('not json at all', 'RECORD_NOT_JSON', 100),
      dlq(
        JSON.stringify({ type: 'UserCreated', user: { login: { password: 'hunter2' } } }),
        'RECORD_INVALID',
        101,
      ),
    ],
  });
  // The sink's group has committed all but the last record of each partition that has any.
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(names.topic);
  await admin.setOffsets({
    groupId,
    topic: names.topic,
    partitions: ends.map((p) => ({
      partition: p.partition,
      offset: String(Math.max(0, Number(p.high) - 1)),
    })),
  });
  await admin.disconnect();
  // One dead letter on the bus.
  const busPool = new pg.Pool({ ...stackConnection({ ...resolvePostgres(cfg), database: run }), max: 1 });
  await ensureSchema(busPool);
  await transaction(busPool, (client) =>
    moveToDeadLetters(
      client,
      {
        id: '0',
        eventId: crypto.randomUUID(),
        bus: 'default',
        event: busEvent('test', 'UsersFetched', { secret: 's' }),
      },
      {
        RULE_ARN: 'arn:aws:events:us-east-1:000000000000:rule/r',
        TARGET_ARN: 'arn:aws:lambda:us-east-1:000000000000:function:f',
        ERROR_CODE: 'ERROR_FROM_TARGET',
        ERROR_MESSAGE: 'boom',
        RETRY_ATTEMPTS: '3',
      },
      new Date(),
    ),
  );
  await busPool.end();
}

beforeAll(async () => {
  await readyStack(cfg, () => undefined);
  kafka = kafkaClient(cfg);
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  db = new pg.Pool({ ...stackConnection({ ...resolvePostgres(cfg), database: run }), max: 2 });
  cql = new cassandra.Client({
    contactPoints: [`${cfg.cassandra.host}:${cfg.cassandra.port}`],
    localDataCenter: cfg.cassandra.localDataCenter,
    keyspace: run,
  });
  await seed();
  sources = localSources(cfg, { eventSourcesPort: await closedPort(), names: { groupId } });
  consoleRun = await startConsole({
    cfg,
    sources,
    port: 0,
    intervalMs: 500,
    lines: (listener) => lines.push(listener),
    fetched: () => users.length,
    log: () => undefined,
  });
  url = new URL(consoleRun.url);
  token = new URLSearchParams(url.hash.slice(1)).get('token') ?? '';
}, 240_000);

afterAll(async () => {
  await consoleRun?.close();
  await sources?.close();
  await producer?.disconnect();
  await db?.end();
  await cql?.shutdown();
  await dropRun({ keyspace: run, topics: [names.topic, names.deadLetterTopic, wireTopic], database: run });
}, 120_000);

describe('the console against the real stack', () => {
  it('prints a URL on 127.0.0.1 with the token in its fragment', () => {
    expect(url.hostname).toBe('127.0.0.1');
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('streams live snapshots with the counts the stores hold, the history first, and the functions’ errors', async () => {
    const seen = await snapshots((s) => s.length >= 1);
    for (const listener of lines) {
      listener(
        `(λ: sinkUsers) ${JSON.stringify({ level: 'WARN', message: 'record dead-lettered', service: 'sink-users', timestamp: '2026-01-01T00:00:00.000Z', errorType: 'RECORD_INVALID', error: 'bad' })}`,
      );
    }
    const later = await snapshots((s) => s.some((x) => x.errors.length > 0));

    const first = seen[0];
    expect(first?.history?.length).toBeGreaterThan(0);
    expect(first?.functionLogs).toBe(true);
    expect(first?.counts).toMatchObject({
      fetched: 20,
      stored: 20,
      outboxPending: 2,
      outboxDead: 0,
      published: 18,
      cassandraRows: 15,
      deadLetters: 2,
      busPending: 0,
      busDeadLettered: 1,
    });
    // Every count says when it was read (the table scans are paced; these small tables are read each time).
    expect(Object.keys(first?.countedAt ?? {}).sort()).toEqual(
      Object.keys(first?.counts ?? {})
        .filter((k) => k !== 'fetched' || first?.counts.fetched !== null)
        .sort(),
    );
    expect(first?.counts.lag?.reduce((sum, p) => sum + p.lag, 0)).toBe(
      [...new Set([...landed.values()].map((l) => l.partition))].length,
    );
    expect(later.at(-1)?.errors).toEqual([
      {
        function: 'sink-users',
        code: 'RECORD_INVALID',
        message: 'record dead-lettered: bad',
        at: '2026-01-01T00:00:00.000Z',
      },
    ]);
  });

  it('shows the topic with its watermarks and sizes, the group with its lag, and which group is the sink', async () => {
    const { status, body } = await get<KafkaView>('/api/kafka');

    const topic = body.topics.find((t) => t.name === names.topic);
    const group = body.groups.find((g) => g.groupId === groupId);
    expect(status).toBe(200);
    expect(body.healthy).toBe(true);
    expect(body.version).toBe(cfg.kafka.version);
    expect(topic?.records).toBe(18);
    expect(topic?.partitions).toHaveLength(6);
    expect(group?.members).toBe(0);
    expect(group?.topics[0]?.partitions.every((p) => p.lag === (Number(p.high) > 0 ? 1 : 0))).toBe(true);
    expect(body.groups.some((g) => g.groupId.includes('-console-'))).toBe(false);
    expect(body.sink).toEqual({ groupId, topic: names.topic });
    // Sizes from the broker's log dir: a partition holds bytes exactly when records were written to it.
    expect(topic?.bytes).toBeGreaterThan(0);
    expect(topic?.partitions.map((p) => (p.bytes ?? -1) > 0)).toEqual(
      topic?.partitions.map((p) => Number(p.high) > 0),
    );
    expect(topic?.bytes).toBe(topic?.partitions.reduce((sum, p) => sum + (p.bytes ?? 0), 0));
  });

  it('pages through a partition from an offset and decodes its records', async () => {
    const [id, where] = [...landed.entries()][0] ?? [];
    if (!id || !where) throw new Error('nothing landed');

    const { body } = await get<MessagePage>(
      `/api/messages?topic=${names.topic}&partition=${where.partition}&offset=${where.offset}&limit=1`,
    );

    expect(body.messages).toHaveLength(1);
    expect(body.messages[0]).toMatchObject({ key: id, offset: where.offset, headers: { 'outbox-id': id } });
    expect(body.messages[0]?.value).toMatchObject({ kind: 'json', json: { id, type: 'UserCreated' } });
  });

  it('decodes values in the wire format and shows their schema id and version', async () => {
    // The run's value subject, registered by the migrations as users_created-value is.
    await migrate(['registry'], {
      config: cfg,
      kafka: { topics: [{ topic: names.topic, numPartitions: 6 }] },
    });
    const registered = await createSchemaRegistry({ url: schemaRegistryUrl(cfg) }).find(
      valueSubject(names.topic),
      publishedSchemaText('users-created.value.v1.json'),
    );
    if (registered === undefined) throw new Error('the run subject lacks the value schema');
    const [first, second] = users;
    if (!first || !second) throw new Error('no users');
    await createTopic(wireTopic, 1, cfg);
    await producer.send({
      topic: wireTopic,
      acks: -1,
      messages: [
        { key: first.login.uuid, value: frameValue(registered.id, messageOf(first)) },
        { key: second.login.uuid, value: frameValue(2_000_000_000, messageOf(second)) },
        { key: 'plain', value: messageOf(second) },
      ],
    });

    const { body } = await get<MessagePage>(`/api/messages?topic=${wireTopic}&partition=0&offset=0&limit=10`);

    expect(body.registryError).toBeNull();
    expect(body.messages.map((m) => [m.key, m.schema])).toEqual([
      [first.login.uuid, { id: registered.id, version: registered.version }],
      [second.login.uuid, { id: 2_000_000_000, version: null }],
      ['plain', null],
    ]);
    expect(body.messages.map((m) => m.value.kind)).toEqual(['json', 'json', 'json']);
    expect(body.messages[0]?.value).toMatchObject({ json: { id: first.login.uuid, type: 'UserCreated' } });
  });

  it('finds a sunk user at every hop, and a pending one only where it is', async () => {
    const done = sunk[0]?.login.uuid ?? '';
    const pending = users[19]?.login.uuid ?? '';

    const { body: trace } = await get<UserTrace>(`/api/users/${done}`);
    const { body: waiting } = await get<UserTrace>(`/api/users/${pending}`);

    expect(trace.usersRaw?.batchId).toBe(batch.batchId);
    expect(JSON.stringify(trace.usersRaw?.payload)).not.toContain('hunter2');
    expect(trace.outbox?.state).toBe('published');
    expect(trace.kafka).toMatchObject({ topic: names.topic, ...landed.get(done) });
    expect(trace.cassandra).toMatchObject({ id: done, first_name: sunk[0]?.name.first });
    expect(waiting.outbox?.state).toBe('pending');
    expect(waiting.kafka).toEqual({
      topic: names.topic,
      partition: partitionFor(names.topic, pending, 6),
      offset: null,
      timestamp: null,
    });
    expect(waiting.cassandra).toBeNull();
  });

  it('lists the dead letters with what their headers say, credentials masked', async () => {
    const { body } = await get<DeadLetterPage>('/api/dead-letters');

    expect(body.deadLetters.map((d) => [d.offset, d.errorType, d.sourceOffset, d.redriven])).toEqual([
      ['0', 'RECORD_NOT_JSON', '100', false],
      ['1', 'RECORD_INVALID', '101', false],
    ]);
    expect(body.deadLetters[0]?.value).toEqual({ kind: 'text', text: 'not json at all' });
    expect(JSON.stringify(body.deadLetters[1]?.value)).not.toContain('hunter2');
  });

  it('refuses an action without the token, and changes nothing', async () => {
    const before = await get<DeadLetterPage>('/api/dead-letters');

    const { status } = await post('/api/dead-letters/redrive', { offsets: 'all' }, false);

    const { body } = await get<KafkaView>('/api/kafka');
    expect(status).toBe(401);
    expect(body.topics.find((t) => t.name === names.topic)?.records).toBe(18);
    expect((await get<DeadLetterPage>('/api/dead-letters')).body.high).toBe(before.body.high);
  });

  it('re-drives a corrected dead letter into Cassandra, and an uncorrected one back to the dead letters', async () => {
    const fixed = freshUsers(1)[0];
    if (!fixed) throw new Error('no user');

    const { status, body } = await post<RedriveResult>('/api/dead-letters/redrive', {
      offsets: ['0', '1'],
      corrections: { '0': messageOf(fixed) },
    });
    expect(status).toBe(200);
    expect(body.redriven).toBe(2);
    expect(body.targets.map((t) => [t.from, t.topic])).toEqual([
      ['0', names.topic],
      ['1', names.topic],
    ]);

    // The sink takes them the normal way: the real sink-users handler over the re-driven records.
    const redriven = (await readAll(kafka, names.topic)).filter(
      (r) => r.headers[redriveHeaders.from] !== undefined,
    );
    expect(redriven.map((r) => r.headers[redriveHeaders.from]?.toString()).sort()).toEqual([
      `${names.deadLetterTopic}-0@0`,
      `${names.deadLetterTopic}-0@1`,
    ]);
    expect(redriven.map((r) => `${r.partition}@${r.offset}`).sort()).toEqual(
      body.targets.map((t) => `${t.partition}@${t.offset}`).sort(),
    );
    const config = {
      ...defaults,
      kafka: { brokers: [`${cfg.kafka.host}:${cfg.kafka.port}`], clientId: 'console-it' },
      cassandra: {
        ...defaults.cassandra,
        contactPoints: [`${cfg.cassandra.host}:${cfg.cassandra.port}`],
        keyspace: run,
      },
    };
    const sinkClient = createCassandraClient(config);
    const sender = createRecordSender(createKafka(config));
    try {
      const handler = createHandler({
        config: { topics: { usersCreated: names.topic, deadLetter: names.deadLetterTopic } },
        logger: createLogger('sink-users', { level: 'SILENT', stage: 'local' }),
        sink: createUserSink(sinkClient, config),
        deadLetters: sender,
        now: () => new Date(),
      });
      for (const event of toLambdaEvents(redriven)) await handler(event);
    } finally {
      await Promise.allSettled([sinkClient.shutdown(), sender.disconnect()]);
    }

    const { body: trace } = await get<UserTrace>(`/api/users/${fixed.login.uuid}`);
    const page = await eventually('the uncorrected one back on the dead letters', async () => {
      const { body: dead } = await get<DeadLetterPage>('/api/dead-letters?offset=0');
      return dead.deadLetters.length === 3 ? dead : undefined;
    });
    expect(trace.cassandra).toMatchObject({ id: fixed.login.uuid, first_name: fixed.name.first });
    expect(page.deadLetters[2]).toMatchObject({ key: 'dead-101', redriven: true, sourceTopic: names.topic });
    expect(page.deadLetters[2]?.errorType).toEqual(expect.any(String));
  });

  it('refuses to reset the group while it has a member, and resets it to a time once it has none', async () => {
    const member = kafka.consumer({ groupId });
    await member.connect();
    await member.subscribe({ topic: names.topic });
    await member.run({ autoCommit: false, eachMessage: async () => undefined });
    const from = new Date(0).toISOString();

    const refused = await post<{ error: { code: string; message: string } }>(
      `/api/kafka/groups/${groupId}/reset`,
      {
        topic: names.topic,
        to: 'timestamp',
        timestamp: from,
      },
    );
    await member.disconnect();
    const done = await post<{ partitions: Array<{ partition: number; offset: string }> }>(
      `/api/kafka/groups/${groupId}/reset`,
      { topic: names.topic, to: 'timestamp', timestamp: from },
    );

    const admin = kafka.admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({ groupId, topics: [names.topic] });
    await admin.disconnect();
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('GROUP_HAS_MEMBERS');
    expect(refused.body.error.message).toContain('Disable the event source first');
    expect(done.status).toBe(200);
    expect(done.body.partitions.every((p) => p.offset === '0')).toBe(true);
    expect(committed?.partitions.every((p) => p.offset === '0')).toBe(true);
  });

  it('lists the bus dead letter, masked, and re-drives it to pending', async () => {
    const { body: listed } =
      await get<Array<{ id: string; errorCode: string; event: unknown }>>('/api/bus/dead-letters');

    const { status, body } = await post<RedriveResult>('/api/bus/dead-letters/redrive', { ids: 'all' });

    const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM local_eventbridge.deliveries');
    expect(listed).toHaveLength(1);
    expect(listed[0]?.errorCode).toBe('ERROR_FROM_TARGET');
    expect(JSON.stringify(listed[0]?.event)).not.toContain('"s"');
    expect(status).toBe(200);
    expect(body.redriven).toBe(1);
    expect(rows[0]?.n).toBe('1');
    expect((await get<unknown[]>('/api/bus/dead-letters')).body).toEqual([]);
  });

  it('says why the event sources are missing without npm start', async () => {
    const { status, body } = await get<{ error: { code: string; message: string } }>('/api/event-sources');

    expect(status).toBe(503);
    expect(body.error.code).toBe('EVENT_SOURCES_UNAVAILABLE');
    expect(body.error.message).toContain('npm start');
  });

  it('shows the stack as stack:status does', async () => {
    const { body } = await get<StackView>('/api/stack');

    expect(body.services.map((s) => [s.service, s.health])).toEqual(
      expect.arrayContaining([
        ['kafka', 'healthy'],
        ['cassandra', 'healthy'],
        ['postgres', 'healthy'],
      ]),
    );
  });

  it('serves /metrics with the same counts', async () => {
    const text = await (await fetch(new URL('/metrics', url))).text();

    expect(text).toMatch(new RegExp(`pipeline_users_stored\\{[^}]*database="${run}"[^}]*\\} 20`));
    expect(text).toContain('# TYPE pipeline_end_to_end_latency_seconds histogram');
  });

  // Last: it adds records to the topic the tests above count.
  it('samples the latency of live users once the sink group has committed past them', async () => {
    const admin = kafka.admin();
    await admin.connect();
    const flowed: string[] = [];
    try {
      // The tail starts from the topic's end once its group has joined, so users keep arriving until some are
      // sampled: one a round, stored, published, written and committed past.
      const sampled = await eventually(
        'a latency sample of a live user',
        async () => {
          const [user] = freshUsers(1);
          if (!user) throw new Error('no user');
          const id = user.login.uuid;
          await db.query(
            `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, published_at)
             VALUES ($1, 'user', $2, 'UserCreated', $3, now())`,
            [id, id, messageOf(user)],
          );
          const [meta] = await producer.send({
            topic: names.topic,
            acks: -1,
            messages: [{ key: id, value: messageOf(user), headers: { [headerNames.outboxId]: id } }],
          });
          if (!meta) throw new Error('no metadata');
          await cql.execute(insertUserCql, rowValues(toCreatedUserRow(user)), { prepare: true });
          flowed.push(id);
          await admin.setOffsets({
            groupId,
            topic: names.topic,
            partitions: [{ partition: meta.partition, offset: String(Number(meta.baseOffset) + 1) }],
          });
          // Two snapshots: the second's reading began after the commit above.
          const last = (await snapshots((seen) => seen.length >= 2)).at(-1);
          return last !== undefined && last.latency.samples > 0 ? last.latency : undefined;
        },
        90_000,
      );

      // Each sample is a user written just now: well under the minute since its outbox row.
      expect(sampled.samples).toBeGreaterThan(0);
      expect(sampled.samples).toBeLessThanOrEqual(flowed.length);
      expect(sampled.p50Ms).toBeGreaterThanOrEqual(0);
      expect(sampled.p99Ms).toBeLessThan(60_000);
    } finally {
      await admin.disconnect();
    }
  });
});
