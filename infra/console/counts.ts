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
import { PacedRead } from './pace.ts';

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

/** The reads one summary is made of; `outbox` gives three counts and `bus` two. */
export const stageReads = ['bus', 'outbox', 'stored', 'lag', 'cassandraRows', 'deadLetters'] as const;
export type StageRead = (typeof stageReads)[number];

interface StageValues {
  bus: { pending: number; deadLettered: number };
  outbox: { pending: number; published: number; dead: number };
  stored: number;
  lag: Array<{ partition: number; lag: number }>;
  cassandraRows: number;
  deadLetters: number;
}

/** One read per stage; each throws when its system cannot be read. */
function readers(src: SummarySources): { [K in StageRead]: () => Promise<StageValues[K]> } {
  return {
    bus: () => busCounts(src.bus),
    outbox: async () => {
      const { rows } = await src.pg.query<{ pending: string; published: string; dead: string }>(
        `SELECT count(*) FILTER (WHERE published_at IS NULL AND dead_at IS NULL) AS pending,
                count(*) FILTER (WHERE published_at IS NOT NULL) AS published,
                count(*) FILTER (WHERE dead_at IS NOT NULL) AS dead
           FROM outbox`,
      );
      const row = rows[0];
      return { pending: Number(row?.pending), published: Number(row?.published), dead: Number(row?.dead) };
    },
    stored: async () => {
      const { rows } = await src.pg.query<{ n: string }>('SELECT count(*) AS n FROM users_raw');
      return Number(rows[0]?.n);
    },
    lag: () => consumerLag(src.admin, src.groupId, src.topic),
    cassandraRows: () => countRows(src.cql, `SELECT id FROM ${src.keyspace}.created_users`),
    deadLetters: async () => {
      const offsets = await src.admin.fetchTopicOffsets(src.deadLetterTopic);
      return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
    },
  };
}

/** The summary the stage values make; a stage without a value is left out. */
function summaryOf(fetched: number, v: Partial<StageValues>): PipelineSummary {
  return {
    fetched,
    ...(v.bus === undefined ? {} : { busPending: v.bus.pending, busDeadLettered: v.bus.deadLettered }),
    ...(v.stored === undefined ? {} : { stored: v.stored }),
    ...(v.outbox === undefined
      ? {}
      : { outboxPending: v.outbox.pending, published: v.outbox.published, outboxDead: v.outbox.dead }),
    ...(v.lag === undefined ? {} : { lag: v.lag }),
    ...(v.cassandraRows === undefined ? {} : { cassandraRows: v.cassandraRows }),
    ...(v.deadLetters === undefined ? {} : { deadLetters: v.deadLetters }),
  };
}

/** Reads every stage now; a failing read leaves that stage undefined instead of failing the summary. */
export async function collectSummary(src: SummarySources): Promise<PipelineSummary> {
  const read = readers(src);
  const values = await Promise.all(stageReads.map((stage) => read[stage]().catch(() => undefined)));
  return summaryOf(src.fetched(), Object.fromEntries(stageReads.map((s, i) => [s, values[i]])));
}

/** A summary read at a pace, with when each stage's values were read. */
export interface PacedSummary extends PipelineSummary {
  /** Per stage read, when its values were read (ms since the epoch); absent where it has no value. */
  readAt: Partial<Record<StageRead, number>>;
}

export interface SummaryPacing {
  /**
   * The share of the time all the stage reads together may take (see pace.ts), each read an equal part of
   * it; {@link summaryPacing}'s by default.
   */
  share?: number;
  /**
   * How long one reading waits for a read that is due before serving that stage's last value (the first
   * reading waits for every read).
   */
  waitMs?: number;
  now?: () => number;
}

/**
 * The console's pacing: the stage reads together take at most 1% of the time, so looking at the pipeline
 * costs it a bounded share however large the tables grow and however many reads a summary is made of. The
 * budget is split equally between the reads rather than taken whole by each: with 1% each, the two
 * PostgreSQL counts alone took 2% of a core at 470,000 rows (40 ms each, every 4 s). Split six ways, a read
 * of a few milliseconds is still made every second or two, a count of 40 ms every 24 s, and Cassandra's
 * scan of 470,000 rows (3 s) every 30 minutes. Failed reads are tried again within 5 s.
 */
export const summaryPacing = { share: 0.01, waitMs: 250, retryMs: 5_000 } as const;

/**
 * Like {@link collectSummary}, but the stage reads together take at most `share` of the time (pace.ts), each
 * an equal part of it, and a stage not due is served as last read, with its time in `readAt`: a reading every
 * second stays cheap however large the tables grow. The sources are the same on every reading.
 */
export function pacedSummary(src: SummarySources, pacing: SummaryPacing = {}): () => Promise<PacedSummary> {
  const read = readers(src);
  const options = {
    // An equal part each, so the reads together stay within the share; the first read of each (slow, as it
    // connects) is paced at the whole share once, so a small table is not left unread for minutes.
    share: (pacing.share ?? summaryPacing.share) / stageReads.length,
    firstShare: pacing.share ?? summaryPacing.share,
    retryMs: summaryPacing.retryMs,
    ...(pacing.now === undefined ? {} : { now: pacing.now }),
  };
  const paced = stageReads.map((stage) => new PacedRead<StageValues[typeof stage]>(read[stage], options));
  const waitMs = pacing.waitMs ?? summaryPacing.waitMs;
  const settling = new Settling();
  let first = true;
  return async () => {
    // The first reading waits for every stage: a page opened at start must not show a stage as unreadable
    // only because its client was still connecting.
    const wait = first ? Number.POSITIVE_INFINITY : waitMs;
    first = false;
    const timed = await Promise.all(paced.map((p) => p.get(wait)));
    const values: Partial<StageValues> = {};
    const readAt: PacedSummary['readAt'] = {};
    stageReads.forEach((stage, i) => {
      const t = timed[i];
      if (t === undefined) return;
      (values as Record<StageRead, unknown>)[stage] = t.value;
      readAt[stage] = t.at;
    });
    const settledAt = settling.observe(values, readAt);
    if (settledAt !== undefined) {
      for (const p of paced) if (!p.startedSince(settledAt)) p.catchUp();
    }
    return { ...summaryOf(src.fetched(), values), readAt };
  };
}

/** The stage reads that say whether anything is still on its way through the pipeline. */
const flowReads = ['bus', 'outbox', 'lag'] as const satisfies readonly StageRead[];

/**
 * When the pipeline last went quiet. While users flow, a slow count is read seldom (its rest grows with the
 * time it took, which the load stretches: a 1,800-row scan that took 300 ms at full load rests three minutes
 * at a sixth of 1%), so its figure lags behind. Once nothing waits on the bus, in the outbox or on Kafka,
 * there is no throughput left to protect, and every figure whose read started before that moment (a scan
 * already under way may have missed the last writes) is brought up to date:
 * {@link PacedRead.catchUp}, still within the whole share, once per quiet spell.
 */
class Settling {
  /** When a flow read last saw something on its way; cleared once the pipeline is seen quiet after it. */
  #movedAt: number | undefined;
  #settledAt: number | undefined;

  /** The moment the pipeline last went quiet, from one reading's values and their times. */
  observe(values: Partial<StageValues>, readAt: PacedSummary['readAt']): number | undefined {
    const waiting = {
      bus: values.bus?.pending,
      outbox: values.outbox?.pending,
      lag: values.lag?.reduce((sum, p) => sum + p.lag, 0),
    };
    for (const stage of flowReads) {
      if ((waiting[stage] ?? 0) > 0) this.#movedAt = Math.max(this.#movedAt ?? 0, readAt[stage] ?? 0);
    }
    // Quiet: every flow read has a value, shows nothing waiting, and was read after the last movement.
    const quiet = flowReads.every(
      (stage) => waiting[stage] === 0 && (readAt[stage] ?? 0) > (this.#movedAt ?? 0),
    );
    if (quiet && this.#movedAt !== undefined) {
      this.#settledAt = Math.max(...flowReads.map((stage) => readAt[stage] ?? 0));
      this.#movedAt = undefined;
    }
    return this.#settledAt;
  }
}

/** Rows a query gives, fetched a page at a time. */
const countPageSize = 5000;

/**
 * Counts the rows of `query` page by page. A `SELECT count(*)` is one request that must finish within the
 * server's range timeout (10 s), which a large table under load does not (measured: 300,000 rows took 3.3 s on
 * an idle server); each page here is a request of its own, at the same cost per row (about 11 µs).
 */
async function countRows(cql: Pick<cassandra.Client, 'execute'>, query: string): Promise<number> {
  let rows = 0;
  let pageState: string | undefined;
  do {
    const page = await cql.execute(query, [], { prepare: true, fetchSize: countPageSize, pageState });
    rows += page.rowLength;
    pageState = page.pageState ?? undefined;
  } while (pageState);
  return rows;
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
