/**
 * Measures end-to-end latency on live traffic, as the benchmark defines it: from the outbox row's
 * `created_at` (the storing transaction, which commits users_raw and the outbox together) to the Cassandra
 * row's `WRITETIME` (the sink's write, stamped by the driver).
 *
 * Which users: a consumer of its own group tails the topic from its end and notes the `outbox-id` header,
 * key, partition and offset of at most `perSecond` new records a second. It fetches a small slice of each
 * partition, then skips to the partition's end and leaves it for three seconds, so its cost follows the
 * partitions, not the throughput. Every second the sampler looks up, by primary key only, the noted rows'
 * `created_at` in PostgreSQL and, once the sink's group has committed past a user's offset, its `WRITETIME`
 * in Cassandra, once; a user the sink has written becomes one sample. Primary-key lookups keep the cost flat
 * however large the outbox grows, where "the last published rows" would need a scan of the outbox (it has no
 * index on `published_at`). Re-driven records are skipped: their outbox row is as old as the dead letter,
 * which is no latency of the pipeline.
 */
import { randomUUID } from 'node:crypto';
import cassandra from 'cassandra-driver';
import type { Consumer } from 'kafkajs';
import type pg from 'pg';
import { headerNames, redriveHeaders } from '../../functions/lib/users-created.ts';
import type { Kafka } from '../../lib/kafkajs.ts';
import { cassandra as cassandraNames } from '../../lib/topology.ts';
import type { Latency } from './api.ts';
import { consoleGroupPrefix } from './kafka-read.ts';
import { LatencyWindow, latencyMs } from './latency.ts';

/** What the sampler reads. */
export interface LatencySamplerDeps {
  kafka: Kafka;
  pg: Pick<pg.Pool, 'query'>;
  cql: Pick<cassandra.Client, 'execute'>;
  topic: string;
  keyspace: string;
  /**
   * The sink group's committed offset of each partition of the topic (the next record it will read): the
   * sink commits only after its rows are written, so a user below it is in Cassandra or dead-lettered.
   */
  committed(): Promise<Map<number, bigint>>;
  now(): Date;
  /** Called once with each new sample, in milliseconds (the /metrics histogram). */
  observe?(ms: number): void;
  /** Records noted a second at most (50: 3,000 a minute, plenty for a p99, and one Cassandra lookup a second). */
  perSecond?: number;
}

/** The running sampler. */
export interface LatencySampler {
  /** p50 and p99 over the last minute's samples. */
  current(): Latency;
  /** Looks the noted users up once; the live feed calls it every second. */
  sample(): Promise<void>;
  stop(): Promise<void>;
}

interface Noted {
  outboxId: string;
  userId: string;
  partition: number;
  offset: bigint;
  notedAt: number;
  createdAt?: Date;
}

/** How long a noted user may wait for its Cassandra row before it is forgotten (it may be a dead letter). */
const forgetAfterMs = 5 * 60_000;
const maxNoted = 5_000;
const lookupChunk = 50;
/**
 * The most of a partition one fetch of the tail brings (about 60 records of ~1 KB), or its first producer batch
 * whole when that is larger, as Kafka returns it (the relay's batches hold a few hundred records).
 */
const tailBytesPerPartition = 64 * 1024;
/**
 * How long the tail leaves a partition alone after each fetch of it. One fetch brings a producer batch of a
 * few hundred records, more than a second's samples, and decoding it is most of what the tail costs: resting
 * 3 s rather than 1 s decodes a third as much (a profile of the console in `npm run bench`, at 39 ms of
 * CPU a second, put about a fifth of it in the tail's fetches).
 */
const tailRestMs = 3000;

/** Starts tailing `deps.topic`; a broker that is down is tried again every 10 s. */
export function startLatencySampler(deps: LatencySamplerDeps): LatencySampler {
  const window = new LatencyWindow();
  const perSecond = deps.perSecond ?? 50;
  let noted: Noted[] = [];
  let second = 0;
  let notedThisSecond = 0;
  let consumer: Consumer | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const note = (outboxId: string, userId: string, partition: number, offset: bigint) => {
    const now = deps.now().getTime();
    const s = Math.floor(now / 1000);
    if (s !== second) {
      second = s;
      notedThisSecond = 0;
    }
    if (notedThisSecond >= perSecond || noted.length >= maxNoted) return;
    notedThisSecond++;
    noted.push({ outboxId, userId, partition, offset, notedAt: now });
  };

  const tail = async () => {
    const c = deps.kafka.consumer({
      groupId: `${consoleGroupPrefix}latency-${randomUUID()}`,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 500,
      // A sample needs a few records a second, not the whole topic: each fetch brings at most this much of a
      // partition, and the tail then skips to the partition's end (below).
      maxBytesPerPartition: tailBytesPerPartition,
    });
    consumer = c;
    // kafkajs restarts a consumer after a retriable failure itself; after any other, tail again from the end.
    c.on(c.events.CRASH, ({ payload }) => {
      if (payload.restart || stopped) return;
      void c.disconnect().catch(() => undefined);
      retry = setTimeout(() => void tail(), 10_000);
    });
    try {
      await c.connect();
      await c.subscribe({ topic: deps.topic, fromBeginning: false });
      await c.run({
        autoCommit: false,
        eachBatch: async ({ batch, pause }) => {
          for (const message of batch.messages) {
            const headers = message.headers ?? {};
            if (headers[redriveHeaders.from] !== undefined) continue;
            const outboxId = headers[headerNames.outboxId]?.toString();
            const userId = message.key?.toString();
            if (outboxId && userId) note(outboxId, userId, batch.partition, BigInt(message.offset));
          }
          // Skip what arrived meanwhile and rest the partition: the tail then costs one fetch per partition
          // every tailRestMs, however fast the pipeline runs. Measured here: reading every record cost the
          // console 137 ms of CPU a second at 6,600 records/s; this way, 59 ms at 9,600/s, of which about 30
          // is the console's idle cost.
          const { topic, partition } = batch;
          if (BigInt(batch.highWatermark) > BigInt(batch.lastOffset()) + 1n)
            c.seek({ topic, partition, offset: batch.highWatermark });
          const resume = pause();
          const timer = setTimeout(resume, tailRestMs);
          timer.unref();
        },
      });
    } catch {
      await c.disconnect().catch(() => undefined);
      if (!stopped) retry = setTimeout(() => void tail(), 10_000);
    }
  };
  void tail();

  const sample = async () => {
    const now = deps.now();
    noted = noted.filter((n) => now.getTime() - n.notedAt < forgetAfterMs);
    const unknown = noted.filter((n) => n.createdAt === undefined).slice(0, 1000);
    if (unknown.length > 0) {
      const { rows } = await deps.pg.query<{ id: string; created_at: Date }>(
        'SELECT id::text AS id, created_at FROM outbox WHERE id = ANY($1::uuid[])',
        [unknown.map((n) => n.outboxId)],
      );
      const created = new Map(rows.map((r) => [r.id, r.created_at]));
      for (const n of unknown) n.createdAt = created.get(n.outboxId);
      // The outbox row commits before its record is published, so one not found is not this outbox's
      // (a record produced to the topic some other way): no sample, and no second lookup.
      const asked = new Set(unknown);
      noted = noted.filter((n) => n.createdAt !== undefined || !asked.has(n));
    }
    // No user waits for its row: no need to ask Kafka for the sink group's offsets (a request a second, idle).
    if (!noted.some((n) => n.createdAt !== undefined)) return;
    // Only the users the sink has committed past are looked up, each once: looking up every user still
    // waiting, every second, cost Cassandra hundreds of reads a second whenever the sink lagged (the users
    // noted while a burst arrives wait for as long as the lag lasts).
    const committed = await deps.committed();
    const done = noted.filter(
      (n) => n.createdAt !== undefined && n.offset < (committed.get(n.partition) ?? -1n),
    );
    const written = new Map<string, number>();
    for (let i = 0; i < done.length; i += lookupChunk) {
      const ids = done.slice(i, i + lookupChunk).map((n) => n.userId);
      const result = await deps.cql.execute(
        `SELECT id, writetime(first_name) AS w FROM ${deps.keyspace}.${cassandraNames.table} WHERE id IN ?`,
        [ids],
        { prepare: true },
      );
      for (const row of result.rows) {
        const w: unknown = row.get('w');
        if (w instanceof cassandra.types.Long) written.set(String(row.get('id')), w.toNumber());
      }
    }
    const looked = new Set(done);
    noted = noted.filter((n) => {
      if (!looked.has(n)) return true;
      // Committed but not in Cassandra: dead-lettered (or overwritten by a replay); no sample, and no retry.
      const micros = written.get(n.userId);
      if (micros === undefined || n.createdAt === undefined) return false;
      const ms = latencyMs(n.createdAt, micros);
      window.add(now, ms);
      deps.observe?.(ms);
      return false;
    });
  };

  return {
    current: () => window.current(deps.now()),
    sample,
    async stop() {
      stopped = true;
      clearTimeout(retry);
      await consumer?.disconnect().catch(() => undefined);
    },
  };
}
