/**
 * The live summary `npm start` prints every few seconds: how far each stage of the pipeline has got.
 * `collectSummary` reads the real systems (PostgreSQL, the local EventBridge's tables, Kafka, Cassandra);
 * `formatSummary` is pure.
 */
import type cassandra from 'cassandra-driver';
import type { Admin } from 'kafkajs';
import type pg from 'pg';
import { busCounts } from '../eventbus/store.ts';

/** One reading of every stage. A stage that could not be read is `undefined` and prints as `?`. */
export interface PipelineSummary {
  /** Users the fetch-users runs received, as their logs report. */
  fetched: number;
  /** Deliveries the local EventBridge has still to make (an event for each rule target it matched). */
  busPending?: number;
  /** Deliveries the local EventBridge dead-lettered. */
  busDeadLettered?: number;
  stored?: number;
  outboxPending?: number;
  published?: number;
  outboxDead?: number;
  /** Records the sink's consumer group has yet to commit, per partition of the topic. */
  lag?: Array<{ partition: number; lag: number }>;
  cassandraRows?: number;
  deadLetters?: number;
}

/** Where the summary reads from. */
export interface SummarySources {
  pg: Pick<pg.Pool, 'query'>;
  /** Where the local EventBridge keeps its events: the same pool unless the bus's PostgreSQL is elsewhere. */
  bus: Pick<pg.Pool, 'query'>;
  admin: Admin;
  cql: cassandra.Client;
  topic: string;
  deadLetterTopic: string;
  groupId: string;
  keyspace: string;
  fetched: () => number;
}

/** Reads every stage; a failing read leaves that stage undefined instead of failing the summary. */
export async function collectSummary(src: SummarySources): Promise<PipelineSummary> {
  const [bus, outbox, stored, lag, rows, dlq] = await Promise.all([
    attempt(() => busCounts(src.bus)),
    attempt(async () => {
      const { rows } = await src.pg.query<{ pending: string; published: string; dead: string }>(
        `SELECT count(*) FILTER (WHERE published_at IS NULL AND dead_at IS NULL) AS pending,
                count(*) FILTER (WHERE published_at IS NOT NULL) AS published,
                count(*) FILTER (WHERE dead_at IS NOT NULL) AS dead
           FROM outbox`,
      );
      return rows[0];
    }),
    attempt(async () => {
      const { rows } = await src.pg.query<{ n: string }>('SELECT count(*) AS n FROM users_raw');
      return Number(rows[0]?.n);
    }),
    attempt(() => consumerLag(src.admin, src.groupId, src.topic)),
    attempt(async () => {
      const result = await src.cql.execute(`SELECT count(*) FROM ${src.keyspace}.created_users`);
      return Number(result.first()?.get('count'));
    }),
    attempt(async () => {
      const offsets = await src.admin.fetchTopicOffsets(src.deadLetterTopic);
      return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
    }),
  ]);
  return {
    fetched: src.fetched(),
    ...(bus === undefined ? {} : { busPending: bus.pending, busDeadLettered: bus.deadLettered }),
    ...(stored === undefined ? {} : { stored }),
    ...(outbox === undefined
      ? {}
      : {
          outboxPending: Number(outbox.pending),
          published: Number(outbox.published),
          outboxDead: Number(outbox.dead),
        }),
    ...(lag === undefined ? {} : { lag }),
    ...(rows === undefined ? {} : { cassandraRows: rows }),
    ...(dlq === undefined ? {} : { deadLetters: dlq }),
  };
}

/**
 * Records not yet committed by the group, per partition: the high watermark minus the committed offset (or
 * minus the low watermark when the group has committed nothing there yet).
 */
export async function consumerLag(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<Array<{ partition: number; lag: number }>> {
  const [ends, [committed]] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  return ends
    .map((end) => {
      const at = Number(committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
      return { partition: end.partition, lag: Number(end.high) - (at >= 0 ? at : Number(end.low)) };
    })
    .sort((a, b) => a.partition - b.partition);
}

/**
 * `fetched 1000 · bus 0 pending 0 dead-lettered · stored 1000 · outbox 0 pending · published 1000 · lag 0 [p0:0
 * p1:0 p2:0] · cassandra 1000 · dlq 0`
 */
export function formatSummary(s: PipelineSummary): string {
  const n = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '?' : String(v));
  const lag =
    s.lag === undefined
      ? '?'
      : `${s.lag.reduce((sum, p) => sum + p.lag, 0)} [${s.lag.map((p) => `p${p.partition}:${p.lag}`).join(' ')}]`;
  const dead = s.outboxDead ? ` (${s.outboxDead} dead)` : '';
  return [
    `fetched ${n(s.fetched)}`,
    `bus ${n(s.busPending)} pending ${n(s.busDeadLettered)} dead-lettered`,
    `stored ${n(s.stored)}`,
    `outbox ${n(s.outboxPending)} pending${dead}`,
    `published ${n(s.published)}`,
    `lag ${lag}`,
    `cassandra ${n(s.cassandraRows)}`,
    `dlq ${n(s.deadLetters)}`,
  ].join(' · ');
}

/**
 * Sums the users fetch-users reports in its `run complete` log lines, which `npm start` sees in
 * serverless-offline's output. Returns the new total.
 */
export function countFetched(line: string, total: number): number {
  if (!line.includes('"run complete"') || !line.includes('"service":"fetch-users"')) return total;
  try {
    const entry: unknown = JSON.parse(line.slice(line.indexOf('{')));
    if (
      typeof entry === 'object' &&
      entry !== null &&
      'received' in entry &&
      typeof entry.received === 'number'
    ) {
      return total + entry.received;
    }
  } catch {
    // Not one of the function's JSON lines after all.
  }
  return total;
}

async function attempt<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch {
    return undefined;
  }
}
