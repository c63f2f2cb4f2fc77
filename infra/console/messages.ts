/**
 * The message browser: a page of one topic partition from an offset, a time, or (neither) its newest
 * records, each decoded and masked for display. A value in the Confluent wire format is shown without its
 * header, with the schema id it names and that id's version in the registry.
 */
import type { Admin, KafkaMessage } from 'kafkajs';
import { readValue } from '../../functions/lib/wire-format.ts';
import { errorText } from '../../lib/errors.ts';
import type { Kafka } from '../../lib/kafkajs.ts';
import type { MessagePage, MessageView } from './api.ts';
import { decodeHeaders, decodeKey, decodeValue } from './decode.ts';
import { badRequest, notFound } from './errors.ts';
import { readPartition } from './kafka-read.ts';

/** Records a page holds at most. */
export const maxPageSize = 500;

/**
 * A Kafka message as the page shows it. A value in the wire format is decoded behind its header, and its
 * schema id is kept (the version is left unknown; {@link withSchemaVersions} asks the registry); a value
 * whose header is cut short is shown as the bytes it is.
 */
export function messageView(topic: string, partition: number, m: KafkaMessage): MessageView {
  const framing = m.value === null ? undefined : readValue(m.value);
  const wire = framing?.format === 'confluent' ? framing : undefined;
  const headers = m.headers ?? {};
  let size = (m.key?.length ?? 0) + (m.value?.length ?? 0);
  for (const [name, value] of Object.entries(headers)) {
    for (const v of Array.isArray(value) ? value : [value])
      size += Buffer.byteLength(name) + (v?.length ?? 0);
  }
  return {
    topic,
    partition,
    offset: m.offset,
    timestamp: new Date(Number(m.timestamp)).toISOString(),
    key: decodeKey(m.key),
    headers: decodeHeaders(headers),
    value: decodeValue(wire === undefined ? m.value : wire.payload),
    schema: wire === undefined ? null : { id: wire.schemaId, version: null },
    size,
  };
}

/** Where a page starts: an offset, a time (ISO or epoch ms), or neither for the newest page. */
export interface PageQuery {
  topic: string;
  partition: number;
  offset?: string | undefined;
  timestamp?: string | undefined;
  limit: number;
}

/** A partition's watermarks. */
export async function watermarks(
  admin: Admin,
  topic: string,
  partition: number,
): Promise<{ low: bigint; high: bigint }> {
  if (!(await admin.listTopics()).includes(topic)) throw notFound(`no topic ${topic}`);
  const found = (await admin.fetchTopicOffsets(topic)).find((p) => p.partition === partition);
  if (!found) throw notFound(`topic ${topic} has no partition ${partition}`);
  return { low: BigInt(found.low), high: BigInt(found.high) };
}

/** The first offset of a page: the one asked for (within the watermarks), the first at a time, or the last page. */
export async function pageStart(
  admin: Admin,
  q: PageQuery,
  marks: { low: bigint; high: bigint },
): Promise<bigint> {
  const clamp = (o: bigint) => (o < marks.low ? marks.low : o > marks.high ? marks.high : o);
  if (q.offset !== undefined) {
    if (!/^\d+$/.test(q.offset)) throw badRequest(`offset must be a whole number, got "${q.offset}"`);
    return clamp(BigInt(q.offset));
  }
  if (q.timestamp !== undefined) {
    const ms = /^\d+$/.test(q.timestamp) ? Number(q.timestamp) : Date.parse(q.timestamp);
    if (Number.isNaN(ms))
      throw badRequest(`timestamp must be ISO 8601 or epoch milliseconds, got "${q.timestamp}"`);
    const found = (await admin.fetchTopicOffsetsByTimestamp(q.topic, ms)).find(
      (p) => p.partition === q.partition,
    );
    return clamp(BigInt(found?.offset ?? marks.high));
  }
  const last = marks.high - BigInt(q.limit);
  return clamp(last);
}

/** The version of the run's value subject a schema id is; `undefined` when it is none. */
export type SchemaVersionOf = (id: number) => Promise<number | undefined>;

/**
 * `views` with the version of each schema id filled in, one question per distinct id. A registry that cannot
 * answer leaves the versions unknown and says why once, in `registryError`: the page still shows.
 */
export async function withSchemaVersions<V extends MessageView>(
  views: V[],
  versionOf: SchemaVersionOf,
): Promise<{ views: V[]; registryError: string | null }> {
  const ids = [...new Set(views.flatMap((v) => (v.schema === null ? [] : [v.schema.id])))];
  if (ids.length === 0) return { views, registryError: null };
  let registryError: string | null = null;
  const versions = new Map(
    await Promise.all(
      ids.map(async (id) => {
        try {
          return [id, (await versionOf(id)) ?? null] as const;
        } catch (error) {
          registryError = `the Schema Registry could not say which version schema ${id} is: ${errorText(error)}`;
          return [id, null] as const;
        }
      }),
    ),
  );
  return {
    views: views.map((v) =>
      v.schema === null ? v : { ...v, schema: { ...v.schema, version: versions.get(v.schema.id) ?? null } },
    ),
    registryError,
  };
}

/**
 * One page of `q.topic`'s partition.
 *
 * @param versionOf - the registry's version of a schema id, for records in the wire format; without it
 *   their versions stay unknown
 */
export async function messagePage(
  kafka: Kafka,
  admin: Admin,
  q: PageQuery,
  versionOf?: SchemaVersionOf,
): Promise<MessagePage> {
  const marks = await watermarks(admin, q.topic, q.partition);
  const from = await pageStart(admin, q, marks);
  const read = await readPartition(kafka, {
    topic: q.topic,
    partition: q.partition,
    from,
    until: marks.high,
    limit: q.limit,
  });
  const views = read.map((m) => messageView(q.topic, q.partition, m));
  const { views: messages, registryError } =
    versionOf === undefined ? { views, registryError: null } : await withSchemaVersions(views, versionOf);
  const last = read.at(-1);
  const next = last === undefined ? null : BigInt(last.offset) + 1n;
  return {
    topic: q.topic,
    partition: q.partition,
    from: String(from),
    next: next !== null && next < marks.high ? String(next) : null,
    low: String(marks.low),
    high: String(marks.high),
    messages,
    registryError,
  };
}
