/**
 * The whole pipeline on the real stack, without serverless-offline: the four handlers called in sequence,
 * each over its real clients. fetch-users reads the local randomuser API and puts events on the local
 * PutEvents stand-in; store-users and publish-users get those events as EventBridge would deliver them;
 * sink-users gets the real records of the topic, wrapped as Lambda's Kafka event source wraps them.
 *
 * Each run has its own topic, dead-letter topic and Cassandra keyspace, so the sink's table must hold
 * exactly the seeded users.
 */
import type cassandra from 'cassandra-driver';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler as createFetch, depsFor as fetchDeps } from '../../functions/fetch-users/app.ts';
import { createKafka } from '../../functions/lib/kafka.ts';
import { createPool } from '../../functions/lib/postgres.ts';
import { credentialFields } from '../../functions/lib/schemas.ts';
import { type Config, parseConfig } from '../../functions/lib/settings.ts';
import { createHandler as createPublish, depsFor as publishDeps } from '../../functions/publish-users/app.ts';
import { createHandler as createSink, depsFor as sinkDeps } from '../../functions/sink-users/app.ts';
import { createHandler as createStore, depsFor as storeDeps } from '../../functions/store-users/app.ts';
import { type LocalEventBus, startLocalEventBus } from '../../infra/eventbus/server.ts';
import { resolvePostgres } from '../../infra/local/endpoints.ts';
import { functionEnv } from '../../infra/local/function-env.ts';
import {
  generateUsers,
  type RandomUser,
  type RandomUserServerHandle,
  startRandomUserServer,
} from '../../infra/randomuser/index.ts';
import type { Kafka } from '../../lib/kafkajs.ts';
import { readAll, toLambdaEvents } from '../helpers/kafka-events.ts';
import { captureOutput } from '../helpers/pipeline.ts';
import { cassandraClient, createKeyspace, createTopic, stackConfig, uniqueName } from '../helpers/stack.ts';

const total = 1000;
const pageSize = 400;
const seed = uniqueName('pipeline-seed');

let api: RandomUserServerHandle;
let bus: LocalEventBus;
let config: Config;
let pool: pg.Pool;
let kafka: Kafka;
let db: pg.PoolClient;
let cql: cassandra.Client;
let logs: ReturnType<typeof captureOutput> | undefined;
const logText: string[] = [];

/** Kafka offsets the sink has been given, per partition: the "event source" position. */
const delivered = new Map<number, number>();

/** The raw users (credentials included) the API serves for the seed, as the generator makes them. */
const seeded: RandomUser[] = Array.from({ length: Math.ceil(total / pageSize) }, (_, i) =>
  (generateUsers({ seed, page: i + 1, results: Math.min(pageSize, total - i * pageSize) }).results ?? []).map(
    (u) => {
      if (!u.login || !u.name) throw new Error('the generator left out fields');
      return u as RandomUser;
    },
  ),
).flat();
const seededIds = seeded.map((u) => u.login.uuid);

/** The four handlers with the dependencies they run with when deployed, built from `cfg`. */
function handlers(cfg: Config) {
  return {
    fetch: createFetch(fetchDeps(cfg)),
    store: createStore(storeDeps(cfg)),
    publish: createPublish(publishDeps(cfg)),
    sink: createSink(sinkDeps(cfg)),
  };
}

let h: ReturnType<typeof handlers>;

/** One pass of the pipeline for the seed: fetch, then deliver every event and record it produced. */
async function runPipeline() {
  const mark = bus.events.length;
  const fetched = await h.fetch({ seed, total, pageSize });
  const stored = [];
  for (const event of bus.events.slice(mark).filter((e) => e['detail-type'] === 'UsersFetched'))
    stored.push(await h.store(event));
  const relayed = [];
  for (const event of bus.events.slice(mark).filter((e) => e['detail-type'] === 'UsersStored'))
    relayed.push(await h.publish(event));
  const fresh = (await readAll(kafka, config.topics.usersCreated)).filter(
    (r) => r.offset >= (delivered.get(r.partition) ?? 0),
  );
  const sunk = [];
  for (const event of toLambdaEvents(fresh)) sunk.push(await h.sink(event));
  for (const r of fresh) delivered.set(r.partition, Math.max(delivered.get(r.partition) ?? 0, r.offset + 1));
  return { fetched, stored, relayed, sunk };
}

async function cassandraRows() {
  const result = await cql.execute(`SELECT * FROM ${config.cassandra.keyspace}.created_users`, [], {
    fetchSize: 5000,
  });
  return result.rows;
}

beforeAll(async () => {
  const stack = stackConfig();
  const ep = resolvePostgres(stack);
  api = await startRandomUserServer({ port: 0 });
  bus = await startLocalEventBus();
  const topic = uniqueName('users_created_pipeline');
  const keyspace = uniqueName('pipeline_it');
  await createTopic(topic, 6);
  await createTopic(`${topic}.dlq`, 1);
  await createKeyspace(keyspace, stack);
  config = parseConfig({
    // DEBUG, so the check for credentials in the logs sees every line the functions can write.
    LOG_LEVEL: 'DEBUG',
    ...functionEnv(stack, {
      // The database the stack recorded (the shared one), whatever PIPELINE_PGDATABASE names.
      postgres: ep,
      database: ep.database,
      keyspace,
      topic,
      deadLetterTopic: `${topic}.dlq`,
      randomuserUrl: api.url,
      eventBridgeEndpoint: bus.endpoint,
    }),
  });
  h = handlers(config);
  pool = createPool(config);
  kafka = createKafka(config);
  cql = cassandraClient(stack);
  db = await pool.connect();

  logs = captureOutput();
  // Other test files may leave unpublished outbox rows; relay them to a scratch topic first, so this run's
  // topic carries exactly the seeded users.
  const scratch = uniqueName('users_created_scratch');
  await createTopic(scratch, 1);
  await createPublish(publishDeps({ ...config, topics: { ...config.topics, usersCreated: scratch } }))({});

  const first = await runPipeline();
  const second = await runPipeline();
  logs.restore();
  logText.push(logs.text());
  logs = undefined;
  runs.first = first;
  runs.second = second;
}, 240_000);

const runs: {
  first?: Awaited<ReturnType<typeof runPipeline>>;
  second?: Awaited<ReturnType<typeof runPipeline>>;
} = {};

afterAll(async () => {
  logs?.restore();
  db?.release();
  await pool?.end();
  await cql?.shutdown();
  await api?.close();
  await bus?.close();
});

describe(`the pipeline, on ${total} seeded users`, () => {
  it('lands exactly the seeded ids in Cassandra, each once', async () => {
    const rows = await cassandraRows();
    const ids = rows.map((r) => String(r.id));

    expect(ids).toHaveLength(total);
    expect(new Set(ids)).toEqual(new Set(seededIds));
    const records = await readAll(kafka, config.topics.usersCreated);
    expect(records).toHaveLength(total);
    expect(new Set(records.map((r) => r.key?.toString()))).toEqual(new Set(seededIds));
    expect(runs.first?.sunk.reduce((sum, s) => sum + s.written, 0)).toBe(total);
    expect(runs.first?.sunk.reduce((sum, s) => sum + s.deadLettered, 0)).toBe(0);
  });

  it('stores every user in PostgreSQL with its outbox row published', async () => {
    const raw = await db.query<{ n: string }>(
      'SELECT count(*) AS n FROM users_raw WHERE id = ANY($1::uuid[])',
      [seededIds],
    );
    const outbox = await db.query<{ published: string; pending: string }>(
      `SELECT count(*) FILTER (WHERE published_at IS NOT NULL) AS published,
              count(*) FILTER (WHERE published_at IS NULL) AS pending
       FROM outbox WHERE id = ANY($1::uuid[])`,
      [seededIds],
    );

    expect(Number(raw.rows[0]?.n)).toBe(total);
    expect(outbox.rows[0]).toEqual({ published: String(total), pending: '0' });
    expect(runs.first?.stored.reduce((sum, s) => sum + s.stored, 0)).toBe(total);
  });

  it('changes nothing on a second run with the same seed', async () => {
    const second = runs.second;

    expect(second?.fetched.published).toBe(total);
    expect(second?.stored.reduce((sum, s) => sum + s.stored, 0)).toBe(0);
    expect(second?.stored.reduce((sum, s) => sum + s.alreadyStored, 0)).toBe(total);
    expect(second?.relayed.reduce((sum, r) => sum + r.published, 0)).toBe(0);
    expect(second?.sunk).toEqual([]);
    expect(await readAll(kafka, config.topics.usersCreated)).toHaveLength(total);
    expect(await cassandraRows()).toHaveLength(total);
  });

  it('brings names in Persian script and with diacritics back from Cassandra byte for byte', async () => {
    const byId = new Map((await cassandraRows()).map((r) => [String(r.id), r]));
    const persian = seeded.filter((u) => /[\u0600-\u06FF]/.test(u.name.first + u.name.last));
    const diacritics = seeded.filter((u) => /[\u00C0-\u017F]/.test(u.name.first + u.name.last));

    expect(persian.length).toBeGreaterThan(0);
    expect(diacritics.length).toBeGreaterThan(0);
    for (const user of seeded) {
      const row = byId.get(user.login.uuid);
      expect(Buffer.from(String(row?.first_name)).equals(Buffer.from(user.name.first))).toBe(true);
      expect(Buffer.from(String(row?.last_name)).equals(Buffer.from(user.name.last))).toBe(true);
    }
  });

  it('keeps every credential out of PostgreSQL, Kafka, Cassandra and the logs', async () => {
    const pgText = await db.query<{ t: string }>(
      `SELECT string_agg(r.payload::text || o.payload::text, '') AS t
       FROM users_raw r JOIN outbox o USING (id) WHERE r.id = ANY($1::uuid[])`,
      [seededIds],
    );
    const kafkaText = (await readAll(kafka, config.topics.usersCreated))
      .map((r) => r.value?.toString() ?? '')
      .join('');
    const cassandraText = JSON.stringify(await cassandraRows());
    const places = {
      postgres: pgText.rows[0]?.t ?? '',
      kafka: kafkaText,
      cassandra: cassandraText,
      logs: logText.join(''),
    };

    expect(places.postgres.length).toBeGreaterThan(total * 500);
    expect(places.logs).toContain('"service":"store-users"');
    for (const [where, text] of Object.entries(places)) {
      for (const field of credentialFields) expect(text, `${field} in ${where}`).not.toContain(`"${field}"`);
      for (const user of seeded) {
        const { salt, md5, sha1, sha256, password } = user.login;
        for (const secret of [salt, md5, sha1, sha256])
          expect(text.includes(secret), `a credential in ${where}`).toBe(false);
        // A password may be a common word, so it must never appear as a whole JSON value.
        expect(text.includes(`"${password}"`), `password of ${user.login.uuid} in ${where}`).toBe(false);
      }
    }
  });
});
