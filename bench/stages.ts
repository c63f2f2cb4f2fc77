/**
 * Our stages, each measured on its own and compared with the raw tool doing the same work in this run:
 *
 * - **fetch**: fetch-users' handler against the local randomuser API, users validated and credentials
 *   stripped; EventBridge (AWS) is replaced by a publisher that accepts every event. Compared with a raw
 *   HTTP GET and `JSON.parse` of the same pages, alternating, best of two rounds each.
 * - **store**: store-users' handler on `UsersFetched` events of 1000 users, into PostgreSQL with the outbox
 *   (EventBridge again a stub). Compared with the raw bulk insert of the same rows.
 * - **relay**: publish-users' handler draining that outbox to Kafka. Compared with Kafka's ProducerPerformance.
 * - **sink**: sink-users under `sls offline start`, fed by the local Kafka event source from the topic the
 *   relay filled. Compared with the raw cassandra-driver loop of the same INSERT.
 *
 * The in-process stages run the handlers as Lambda would run them warm: built once, invoked in sequence.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import * as fetchUsers from '../functions/fetch-users/app.ts';
import type { EventPublisher } from '../functions/lib/eventbridge.ts';
import { createKafka, createRecordSender } from '../functions/lib/kafka.ts';
import { createLogger } from '../functions/lib/logger.ts';
import { createOutbox } from '../functions/lib/outbox.ts';
import { createPool } from '../functions/lib/postgres.ts';
import { createUserSource } from '../functions/lib/randomuser.ts';
import { systemClock } from '../functions/lib/retry.ts';
import type { User } from '../functions/lib/schemas.ts';
import { detailTypes, eventSource } from '../functions/lib/schemas.ts';
import { createUserStore } from '../functions/lib/users-store.ts';
import * as publishUsers from '../functions/publish-users/app.ts';
import * as storeUsers from '../functions/store-users/app.ts';
import { busEvent } from '../infra/eventbus/server.ts';
import type { StackConfig } from '../infra/local/config.ts';
import { startRandomUserServer } from '../infra/randomuser/index.ts';
import { functionConfig } from './lib/config.ts';
import { type CpuReading, cpuBreakdown } from './lib/cpu.ts';
import { perSecond, spanRate } from './lib/measure.ts';
import { type OfflinePipeline, type RunClients, sinkConsumed, waitForConsumed } from './lib/pipeline.ts';
import type { Baseline, Stage } from './lib/results.ts';
import { waitForRows, writeTimes } from './lib/seed.ts';
import { loopbackBaselineId } from './lib/speed.ts';

/** A publisher standing in for EventBridge (AWS, which is what is mocked): it accepts every event. */
function acceptingPublisher(): EventPublisher {
  return {
    async publish() {
      return { calls: 1 };
    },
  };
}

const quietLogger = (service: string): Logger => createLogger(service, { level: 'WARN', stage: 'local' });

/**
 * fetch-users against the local API, and the raw GET + JSON.parse of the same pages as its baseline.
 *
 * @param total - users to fetch, in pages of 5000
 */
export async function measureFetch(total: number): Promise<{ stage: Stage; baseline: Baseline }> {
  // No rate limit: the benchmark measures the pipeline, not the stand-in's fault injection.
  const server = await startRandomUserServer({ host: '127.0.0.1', port: 0, faults: { rateLimit: null } });
  try {
    const pageSize = 5000;
    const pages = Math.ceil(total / pageSize);
    const url = (page: number) => `${server.url}?seed=bench&page=${page}&results=${pageSize}`;

    // Raw: the bytes and the parse, nothing else.
    const rawRound = async () => {
      let users = 0;
      for (let page = 1; page <= pages; page++) {
        const body = (await (await fetch(url(page))).json()) as { results: unknown[] };
        users += body.results.length;
      }
      return users;
    };
    const handler = fetchUsers.createHandler({
      config: { fetch: fetchSettings(server.url, total) },
      logger: quietLogger('fetch-users'),
      source: createUserSource({ url: server.url, timeoutMs: 30_000, maxResponseBytes: 64 * 1024 * 1024 }),
      publisher: acceptingPublisher(),
      clock: systemClock,
    });
    const oursRound = async () => (await handler({ seed: 'bench', total, pageSize })).published;

    // Two rounds each, alternating, best of each: the local API's generator warms up as it serves, and
    // whichever ran first would otherwise pay for that.
    const timed = async (round: () => Promise<number>) => {
      const t = performance.now();
      const users = await round();
      return { users, seconds: (performance.now() - t) / 1000 };
    };
    const best = (a: { users: number; seconds: number }, b: { users: number; seconds: number }) =>
      perSecond(a.users, a.seconds) >= perSecond(b.users, b.seconds) ? a : b;
    let rawBest = await timed(rawRound);
    let oursBest = await timed(oursRound);
    rawBest = best(rawBest, await timed(rawRound));
    oursBest = best(oursBest, await timed(oursRound));
    const raw = rawBest.users;
    const rawSeconds = rawBest.seconds;
    const seconds = oursBest.seconds;
    const summary = { published: oursBest.users };
    return {
      baseline: {
        id: loopbackBaselineId,
        name: 'HTTP GET + JSON.parse of the same pages',
        records: raw,
        recordBytes: 0,
        seconds: rawSeconds,
        perSecond: perSecond(raw, rawSeconds),
        details: { pageSize },
      },
      stage: {
        id: 'fetch',
        name: 'fetch-users (local randomuser API → validated events)',
        users: summary.published,
        seconds,
        perSecond: perSecond(summary.published, seconds),
        baseline: loopbackBaselineId,
        details: { pageSize, rounds: 2 },
      },
    };
  } finally {
    await server.close();
  }
}

/** fetch-users' settings against the local API. */
function fetchSettings(url: string, total: number) {
  return {
    url,
    total,
    pageSize: 5000,
    nat: undefined,
    timeoutMs: 30_000,
    maxAttempts: 3,
    maxResponseBytes: 64 * 1024 * 1024,
  };
}

/**
 * store-users on `UsersFetched` events of `batch` users each, one after the other, into the run's database.
 */
export async function measureStore(
  cfg: StackConfig,
  run: RunClients,
  users: readonly User[],
  batch = 1000,
): Promise<Stage> {
  const config = functionConfig(cfg, run.names);
  const pool = createPool(config);
  const handler = storeUsers.createHandler({
    logger: quietLogger('store-users'),
    store: createUserStore(pool),
    publisher: acceptingPublisher(),
  });
  const fetchedAt = new Date().toISOString();
  const events = [];
  for (let i = 0; i < users.length; i += batch) {
    const part = users.slice(i, i + batch);
    events.push(
      busEvent(eventSource, detailTypes.usersFetched, {
        schemaVersion: 1,
        batchId: `bench:${i / batch + 1}`,
        seed: 'bench',
        page: i / batch + 1,
        part: 1,
        parts: 1,
        fetchedAt,
        users: part,
      }),
    );
  }
  try {
    const t = performance.now();
    let stored = 0;
    for (const event of events) stored += (await handler(event)).stored;
    const seconds = (performance.now() - t) / 1000;
    return {
      id: 'store',
      name: 'store-users (users_raw + outbox, one transaction per event)',
      users: stored,
      seconds,
      perSecond: perSecond(stored, seconds),
      baseline: 'postgres-bulk',
      details: { usersPerEvent: batch },
    };
  } finally {
    await pool.end();
  }
}

/** publish-users draining the run's outbox to its topic. */
export async function measureRelay(cfg: StackConfig, run: RunClients, expected: number): Promise<Stage> {
  const config = functionConfig(cfg, run.names);
  const pool = createPool(config);
  const sender = createRecordSender(createKafka(config));
  const handler = publishUsers.createHandler({
    config,
    logger: quietLogger('publish-users'),
    outbox: createOutbox(pool),
    sender,
    now: () => new Date(),
  });
  try {
    const t = performance.now();
    let published = 0;
    let batches = 0;
    while (published < expected) {
      const result = await handler({});
      published += result.published;
      batches += result.batches;
      if (result.published === 0) break;
    }
    const seconds = (performance.now() - t) / 1000;
    if (published !== expected)
      throw new Error(`the relay published ${published} of ${expected} outbox rows`);
    return {
      id: 'relay',
      name: 'publish-users (outbox → Kafka, acks=all)',
      users: published,
      seconds,
      perSecond: perSecond(published, seconds),
      baseline: 'kafka-producer',
      details: { outboxBatch: config.relay.batchSize, batches },
    };
  } finally {
    await sender.disconnect();
    await pool.end();
  }
}

/**
 * sink-users under `sls offline start` draining `expected` records the topic already holds; the rate is
 * over the span of Cassandra's own write times, so start-up and polling are left out.
 *
 * @param readCpu - reads the process sampler; given, the stage carries its CPU per 1000 users per process,
 *   from now until every record is consumed, over the records consumed in that span
 */
export async function measureSink(
  run: RunClients,
  offline: OfflinePipeline,
  expected: number,
  label: { batchSize: number; batchingWindowMs: number; partitions: number },
  readCpu?: () => Promise<CpuReading>,
): Promise<Stage> {
  const before = offline.sinkInvocations();
  // The sink started draining as soon as it was up: the span counts only what it consumed after this reading.
  const { cpuStart, consumedAtStart } = await startReading(run, readCpu);
  await waitForConsumed(run.kafka, run.names.topic, expected);
  const cpuEnd = await readCpu?.();
  const cpu =
    cpuStart === undefined || cpuEnd === undefined
      ? undefined
      : cpuBreakdown(cpuStart, cpuEnd, Math.max(0, expected - consumedAtStart));
  await waitForRows(run.cql, expected, { timeoutMs: 60_000, intervalMs: 1000 });
  const span = spanRate([...(await writeTimes(run.cql)).values()]);
  const after = offline.sinkInvocations();
  return {
    id: 'sink',
    name: 'sink-users via the local Kafka event source (sls offline)',
    users: span.rows,
    seconds: span.seconds,
    perSecond: span.perSecond,
    baseline: 'cassandra-insert',
    details: { ...label, invocations: after.invocations - before.invocations },
    ...(cpu === undefined ? {} : { cpu }),
  };
}

/** The CPU reading that starts the sink's span, and the records consumed by then (committed offsets). */
async function startReading(
  run: RunClients,
  readCpu: (() => Promise<CpuReading>) | undefined,
): Promise<{ cpuStart?: CpuReading; consumedAtStart: number }> {
  if (readCpu === undefined) return { consumedAtStart: 0 };
  const admin = run.kafka.admin();
  // Connected first, so the two readings follow each other closely.
  await admin.connect();
  try {
    const cpuStart = await readCpu();
    return { cpuStart, consumedAtStart: await sinkConsumed(admin, run.names.topic) };
  } finally {
    await admin.disconnect();
  }
}
