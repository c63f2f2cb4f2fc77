/**
 * One reading of every stage of the pipeline: the counts the console's live view, its /metrics and the
 * `npm start` summary line (infra/dev/summary.ts) all show. `collectSummary` reads the real systems
 * (PostgreSQL, the local EventBridge's tables, Kafka, Cassandra); a stage that cannot be read is left out
 * rather than failing the reading.
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
  admin: Pick<Admin, 'fetchTopicOffsets' | 'fetchOffsets'>;
  cql: Pick<cassandra.Client, 'execute'>;
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
  admin: Pick<Admin, 'fetchTopicOffsets' | 'fetchOffsets'>,
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

async function attempt<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch {
    return undefined;
  }
}
