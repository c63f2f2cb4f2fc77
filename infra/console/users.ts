/**
 * One user across every hop: its `users_raw` row, its outbox row and state, the Kafka record the relay
 * published (the partition its key maps to, and the offset found by reading that partition from the time
 * the outbox row was published), and its `created_users` row. Every lookup is by primary key; only the
 * Kafka hop reads records, from the first offset at the publish time (less a margin for clocks) onwards.
 */
import type cassandra from 'cassandra-driver';
import type { Admin } from 'kafkajs';
import type pg from 'pg';
import type { Kafka } from '../../lib/kafkajs.ts';
import { cassandra as cassandraNames } from '../../lib/topology.ts';
import type { UserTrace } from './api.ts';
import { maskCredentials } from './decode.ts';
import { badRequest } from './errors.ts';
import { readPartition } from './kafka-read.ts';
import { partitionFor } from './partition.ts';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** How far before the outbox's `published_at` the search starts: the producer stamps the record's time. */
const clockMarginMs = 5_000;
/** Records read at most while looking for the user's record. */
const searchLimit = 20_000;

/** What the trace reads. */
export interface TraceDeps {
  pg: Pick<pg.Pool, 'query'>;
  cql: Pick<cassandra.Client, 'execute'>;
  kafka: Kafka;
  admin: Admin;
  topic: string;
  keyspace: string;
}

/** The outbox row's state: dead, published, or still pending. */
export function outboxState(row: {
  published_at: Date | null;
  dead_at: Date | null;
}): 'pending' | 'published' | 'dead' {
  if (row.dead_at !== null) return 'dead';
  return row.published_at === null ? 'pending' : 'published';
}

/**
 * Finds user `id` at every hop; a hop where it is not (yet) is null, and the Kafka offset is null until the
 * relay has published it (or when the record is no longer on the topic).
 *
 * @throws ConsoleError 400 when `id` is not a UUID (every user id is randomuser's `login.uuid`)
 */
export async function traceUser(deps: TraceDeps, id: string): Promise<UserTrace> {
  if (!uuid.test(id)) throw badRequest(`a user id is a UUID (randomuser's login.uuid), got "${id}"`);
  const [raw, outbox, row] = await Promise.all([
    deps.pg.query<{ payload: unknown; batch_id: string; fetched_at: Date; stored_at: Date }>(
      'SELECT payload, batch_id, fetched_at, stored_at FROM users_raw WHERE id = $1',
      [id],
    ),
    // store-users writes the outbox row with the user's id as its own (and as the aggregate id).
    deps.pg.query<{
      created_at: Date;
      published_at: Date | null;
      dead_at: Date | null;
      attempts: number;
      last_error: string | null;
    }>('SELECT created_at, published_at, dead_at, attempts, last_error FROM outbox WHERE id = $1', [id]),
    deps.cql.execute(`SELECT * FROM ${deps.keyspace}.${cassandraNames.table} WHERE id = ?`, [id], {
      prepare: true,
    }),
  ]);
  const rawRow = raw.rows[0];
  const outboxRow = outbox.rows[0];
  const cassandraRow = row.first();
  return {
    id,
    usersRaw: rawRow
      ? {
          batchId: rawRow.batch_id,
          fetchedAt: rawRow.fetched_at.toISOString(),
          storedAt: rawRow.stored_at.toISOString(),
          payload: maskCredentials(rawRow.payload),
        }
      : null,
    outbox: outboxRow
      ? {
          state: outboxState(outboxRow),
          createdAt: outboxRow.created_at.toISOString(),
          publishedAt: outboxRow.published_at?.toISOString() ?? null,
          attempts: outboxRow.attempts,
          lastError: outboxRow.last_error,
        }
      : null,
    kafka: outboxRow ? await findRecord(deps, id, outboxRow.published_at) : null,
    cassandra: cassandraRow
      ? (maskCredentials(
          Object.fromEntries(cassandraRow.keys().map((k) => [k, plain(cassandraRow.get(k))])),
        ) as Record<string, unknown>)
      : null,
  };
}

/** The user's record on the topic: its partition always, its offset and time once found there. */
async function findRecord(
  deps: TraceDeps,
  id: string,
  publishedAt: Date | null,
): Promise<UserTrace['kafka']> {
  const offsets = await deps.admin.fetchTopicOffsets(deps.topic);
  const partition = partitionFor(deps.topic, id, offsets.length);
  const none = { topic: deps.topic, partition, offset: null, timestamp: null };
  const marks = offsets.find((p) => p.partition === partition);
  if (publishedAt === null || marks === undefined) return none;
  const at = await deps.admin.fetchTopicOffsetsByTimestamp(deps.topic, publishedAt.getTime() - clockMarginMs);
  const from = BigInt(at.find((p) => p.partition === partition)?.offset ?? marks.low);
  const read = await readPartition(deps.kafka, {
    topic: deps.topic,
    partition,
    from: from < BigInt(marks.low) ? BigInt(marks.low) : from,
    until: BigInt(marks.high),
    limit: searchLimit,
    stopAt: (m) => m.key?.toString() === id,
  });
  const found = read.find((m) => m.key?.toString() === id);
  if (!found) return none;
  return {
    topic: deps.topic,
    partition,
    offset: found.offset,
    timestamp: new Date(Number(found.timestamp)).toISOString(),
  };
}

/** A driver value as JSON shows it: uuids and longs as text, dates as ISO. */
function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object' && 'toString' in value && !Array.isArray(value)) {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype) return String(value);
  }
  return value;
}
