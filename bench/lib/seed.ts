/**
 * Feeding and reading a phase's pipeline: `users_created` records straight onto the topic (built by the
 * relay's own record builder, so they are byte for byte what publish-users sends), users stored and already
 * relayed in PostgreSQL, the Cassandra rows with their write times, and waiting for a row count.
 */
import { randomUUID } from 'node:crypto';
import cassandra from 'cassandra-driver';
import type pg from 'pg';
import { TransientError } from '../../functions/lib/errors.ts';
import { type RetryPolicy, withRetry } from '../../functions/lib/retry.ts';
import type { UserCreated } from '../../functions/lib/users-created.ts';
import { buildRecord } from '../../functions/publish-users/core.ts';
import { cassandraErrorCode, classifyCassandraError } from '../../functions/sink-users/sink.ts';
import type { StorableUser } from '../../functions/store-users/core.ts';
import { errorText } from '../../lib/errors.ts';
import type { Kafka } from '../../lib/kafkajs.ts';
import { chunk, unnestInsertParams, unnestInsertSql } from '../baselines/postgres.ts';
import { benchBatch } from './users.ts';

/** The Kafka record publish-users would send for `message`. */
export function relayRecord(message: UserCreated) {
  const payload = JSON.stringify(message);
  const built = buildRecord({
    id: message.id,
    aggregateId: message.id,
    type: 'UserCreated',
    payload,
    attempts: 0,
  });
  if (!built.ok) throw new Error(`bench record invalid: ${built.dead.error}`);
  return built.record.record;
}

/**
 * Produces the records of `messages` to `topic` with acks=all, keyed by user id, in requests of `chunk`
 * records with several in flight. Not a measurement: it only loads the topic fast.
 */
export async function produceMessages(
  kafka: Kafka,
  topic: string,
  messages: readonly UserCreated[],
  chunk = 500,
) {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < messages.length; i += chunk) {
      const records = messages.slice(i, i + chunk).map(relayRecord);
      sends.push(producer.send({ topic, acks: -1, messages: records }));
      if (sends.length >= 8) await sends.shift();
    }
    await Promise.all(sends);
  } finally {
    await producer.disconnect();
  }
}

/**
 * Stores `users` in the run's `users_raw` and `outbox` as the pipeline leaves them once the relay has sent
 * them: outbox rows already published, so the relay's sweep has nothing to send. One statement (the raw
 * baseline's UNNEST) per `chunkSize` users. What the console reads (counts, and the outbox rows its latency
 * sampler looks up by id) is then there as in a running pipeline.
 */
export async function storeRelayed(
  pool: pg.Pool,
  users: readonly StorableUser[],
  chunkSize = 1000,
): Promise<void> {
  const sql = unnestInsertSql({ usersRaw: 'users_raw', outbox: 'outbox' }, { published: true });
  for (const part of chunk(users, chunkSize)) {
    await pool.query(sql, unnestInsertParams(part, benchBatch.batchId, benchBatch.fetchedAt));
  }
}

/** A row as {@link eachPage} hands it on: its columns by name. */
export interface PageRow {
  get(column: string): unknown;
}

/** What {@link eachPage} needs of a driver client: one page of a query at a time. */
export interface PageSource {
  execute(
    query: string,
    params: unknown[],
    options: cassandra.QueryOptions,
  ): Promise<{ rows: PageRow[]; pageState: string | null | undefined }>;
}

/**
 * Reads every row of `query`, a page of 5000 at a time. A page that fails for now is read again, up to five
 * times with backoff: right after a load of 400,000 rows, while Cassandra was still flushing and compacting
 * them, one read took longer than Cassandra's own read timeout, and the `SELECT count(*)` used before failed
 * a whole benchmark run.
 */
export async function eachPage(
  cql: PageSource,
  query: string,
  onRows: (rows: readonly PageRow[]) => void,
  policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 10_000 },
): Promise<void> {
  let pageState: string | undefined;
  do {
    const from = pageState;
    const page = await withRetry(
      `reading ${query}`,
      async () => {
        try {
          return await cql.execute(query, [], { prepare: true, fetchSize: 5000, pageState: from });
        } catch (error) {
          if (classifyCassandraError(error) !== 'transient') throw error;
          throw new TransientError(errorText(error), { code: cassandraErrorCode(error), cause: error });
        }
      },
      { policy },
    );
    onRows(page.rows);
    pageState = page.pageState ?? undefined;
  } while (pageState !== undefined);
}

/** Every `created_users` row's id and write time (microseconds). */
export async function writeTimes(cql: cassandra.Client): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  await eachPage(cql, 'SELECT id, writetime(first_name) AS w FROM created_users', (rows) => {
    for (const row of rows) {
      const w = row.get('w');
      if (w instanceof cassandra.types.Long) times.set(String(row.get('id')), w.toNumber());
    }
  });
  return times;
}

/** A partition's offset, as kafkajs' admin gives it (`fetchTopicOffsets`: `offset` is the next one to be written). */
export interface PartitionOffset {
  partition: number;
  offset: string;
}

/**
 * Each record's key and timestamp (ms, the relay's producer sets it when it sends) between two sets of offsets:
 * from `from` up to, not including, `to`. A key the relay sent twice keeps its first timestamp. Reads with a
 * group of its own, so the sink's committed offsets are untouched.
 *
 * @returns undefined when the records are not all read within `timeoutMs`
 */
export async function recordTimes(
  kafka: Kafka,
  topic: string,
  from: readonly PartitionOffset[],
  to: readonly PartitionOffset[],
  timeoutMs = 60_000,
): Promise<Map<string, number> | undefined> {
  const ends = new Map<number, bigint>();
  for (const end of to) {
    const start = from.find((f) => f.partition === end.partition)?.offset ?? '0';
    if (BigInt(end.offset) > BigInt(start)) ends.set(end.partition, BigInt(end.offset));
  }
  const times = new Map<string, number>();
  if (ends.size === 0) return times;
  const consumer = kafka.consumer({ groupId: `bench-record-times-${randomUUID()}` });
  await consumer.connect();
  try {
    // Settled once: true when the last partition is read to its end, false when the timer fires first.
    let finish: (allRead: boolean) => void = () => {};
    const done = new Promise<boolean>((resolve) => {
      finish = resolve;
    });
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const end = ends.get(batch.partition);
        if (end === undefined) return;
        for (const m of batch.messages) {
          const key = m.key?.toString();
          if (BigInt(m.offset) < end && key !== undefined && !times.has(key))
            times.set(key, Number(m.timestamp));
        }
        if (BigInt(batch.lastOffset()) >= end - 1n) {
          ends.delete(batch.partition);
          if (ends.size === 0) finish(true);
        }
      },
    });
    for (const f of from)
      if (ends.has(f.partition)) consumer.seek({ topic, partition: f.partition, offset: f.offset });
    const timer = setTimeout(() => finish(false), timeoutMs);
    const allRead = await done;
    clearTimeout(timer);
    return allRead ? times : undefined;
  } finally {
    await consumer.disconnect();
  }
}

/** The number of `created_users` rows, counted over pages of ids (see {@link eachPage}). */
export async function rowCount(cql: cassandra.Client): Promise<number> {
  let rows = 0;
  await eachPage(cql, 'SELECT id FROM created_users', (page) => {
    rows += page.length;
  });
  return rows;
}

/**
 * Waits until `created_users` holds `expected` rows, polling every `intervalMs`; fails after `timeoutMs`
 * with how many arrived.
 */
export async function waitForRows(
  cql: cassandra.Client,
  expected: number,
  opts: { timeoutMs: number; intervalMs?: number; onProgress?: (rows: number) => void },
): Promise<number> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const rows = await rowCount(cql);
    opts.onProgress?.(rows);
    if (rows >= expected) return rows;
    if (Date.now() > deadline) {
      throw new Error(`created_users holds ${rows} of ${expected} rows after ${opts.timeoutMs / 1000} s`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
  }
}
