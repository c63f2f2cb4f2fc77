/**
 * The dead letters: the run's dead-letter topic read with the `dlq.*` headers the sink adds
 * (functions/lib/users-created.ts), and the re-drive that produces them back to their source topic. A
 * re-driven record keeps its key and its own headers, carries `redriven-from` and `redriven-at`, and takes
 * the normal path: a record still bad is dead-lettered again by the sink, so nothing is ever lost (the
 * dead-letter topic itself is never changed). The bus's dead letters are infra/eventbus/store.ts's.
 */
import type { Admin, IHeaders, KafkaMessage, Producer } from 'kafkajs';
import type pg from 'pg';
import { deadLetterHeaders, redriveHeaders } from '../../functions/lib/users-created.ts';
import { frameValue, readValue } from '../../functions/lib/wire-format.ts';
import type { Kafka } from '../../lib/kafkajs.ts';
import { listDeadLetters, redrive as redriveBus } from '../eventbus/store.ts';
import type { BusDeadLetter, DeadLetterPage, DeadLetterView, RedriveResult } from './api.ts';
import { maskCredentials, maskText } from './decode.ts';
import { badRequest } from './errors.ts';
import { readPartition } from './kafka-read.ts';
import { messageView, pageStart, type SchemaVersionOf, watermarks, withSchemaVersions } from './messages.ts';
import { partitionFor } from './partition.ts';

/** Dead letters re-driven in one request at most. */
export const maxRedrive = 10_000;

function header(headers: IHeaders | undefined, name: string): string | null {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? null : first.toString();
}

function integer(text: string | null): number | null {
  return text !== null && /^\d+$/.test(text) ? Number(text) : null;
}

/** A dead-letter record as the page shows it: the message, and what its `dlq.*` headers say. */
export function deadLetterView(topic: string, partition: number, m: KafkaMessage): DeadLetterView {
  const h = m.headers;
  const sourceOffset = header(h, deadLetterHeaders.sourceOffset);
  const errorMessage = header(h, deadLetterHeaders.errorMessage);
  return {
    ...messageView(topic, partition, m),
    errorType: header(h, deadLetterHeaders.errorType),
    errorMessage: errorMessage === null ? null : maskText(errorMessage),
    sourceTopic: header(h, deadLetterHeaders.sourceTopic),
    sourcePartition: integer(header(h, deadLetterHeaders.sourcePartition)),
    sourceOffset: sourceOffset !== null && /^\d+$/.test(sourceOffset) ? sourceOffset : null,
    attempts: integer(header(h, deadLetterHeaders.attempts)),
    failedAt: header(h, deadLetterHeaders.failedAt),
    redriven: header(h, redriveHeaders.from) !== null,
  };
}

/**
 * One page of the dead-letter topic's `partition`, from `offset` or its newest records.
 *
 * @param versionOf - the registry's version of a schema id, for dead letters in the wire format (as the
 *   message browser shows them); without it their versions stay unknown
 */
export async function deadLetterPage(
  kafka: Kafka,
  admin: Admin,
  q: { topic: string; partition: number; offset?: string | undefined; limit: number },
  versionOf?: SchemaVersionOf,
): Promise<DeadLetterPage> {
  const marks = await watermarks(admin, q.topic, q.partition);
  const from = await pageStart(admin, q, marks);
  const read = await readPartition(kafka, { ...q, from, until: marks.high });
  const views = read.map((m) => deadLetterView(q.topic, q.partition, m));
  const { views: deadLetters, registryError } =
    versionOf === undefined ? { views, registryError: null } : await withSchemaVersions(views, versionOf);
  const last = read.at(-1);
  const next = last === undefined ? null : BigInt(last.offset) + 1n;
  return {
    topic: q.topic,
    from: String(from),
    next: next !== null && next < marks.high ? String(next) : null,
    low: String(marks.low),
    high: String(marks.high),
    deadLetters,
    registryError,
  };
}

/** A record to produce back: where to, and its key, value and headers. */
export interface RedriveRecord {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}

/**
 * The record a dead letter is re-driven as (pure): to its `dlq.source.topic` (or `fallbackTopic` when the
 * header is missing), with its own key, its value or `correction` (UTF-8), its own headers without the
 * `dlq.*` ones and any earlier re-drive's, and `redriven-from` (`topic-partition@offset`) and `redriven-at`.
 */
export function redriveRecord(
  dead: { topic: string; partition: number; message: KafkaMessage },
  options: { fallbackTopic: string; correction?: string | undefined; now: Date },
): RedriveRecord {
  const { message } = dead;
  const own: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (name.startsWith('dlq.') || name === redriveHeaders.from || name === redriveHeaders.at) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) own[name] = Buffer.from(first);
  }
  return {
    topic: header(message.headers, deadLetterHeaders.sourceTopic) ?? options.fallbackTopic,
    key: message.key ?? null,
    value:
      options.correction === undefined ? (message.value ?? null) : corrected(message, options.correction),
    headers: {
      ...own,
      [redriveHeaders.from]: Buffer.from(`${dead.topic}-${dead.partition}@${message.offset}`),
      [redriveHeaders.at]: Buffer.from(options.now.toISOString()),
    },
  };
}

/**
 * A value corrected in the page, framed as the dead letter was: the page edits the JSON behind a wire-format
 * header, so the header (and its schema id) goes back in front of it. Sent as plain JSON instead, it would be
 * refused by a consumer that validates against the registry (AWS's event source with a schema registry
 * delivers only framed values), and it would lose the id the producer wrote it with.
 */
function corrected(message: KafkaMessage, correction: string): Buffer {
  const original = message.value === null ? undefined : readValue(message.value);
  return original?.format === 'confluent'
    ? frameValue(original.schemaId, correction)
    : Buffer.from(correction, 'utf8');
}

/** What a re-drive request selects, checked against the topic. */
export interface RedriveSelection {
  deadLetterTopic: string;
  partition: number;
  offsets: readonly string[] | 'all';
  corrections: Readonly<Record<string, string>>;
  /** Where records without a `dlq.source.topic` header go: the run's topic. */
  fallbackTopic: string;
}

/**
 * Re-drives the selected dead letters: reads them, produces each back (acks=all) to its source topic on the
 * partition its key maps to, and returns where each landed.
 *
 * @throws ConsoleError 400 for offsets or corrections that name no dead letter, or too many at once
 */
export async function redriveDeadLetters(
  deps: { kafka: Kafka; admin: Admin; producer: Producer; now: Date },
  sel: RedriveSelection,
): Promise<RedriveResult> {
  const marks = await watermarks(deps.admin, sel.deadLetterTopic, sel.partition);
  const wanted =
    sel.offsets === 'all'
      ? undefined
      : [...new Set(sel.offsets)].map((o) => {
          if (!/^\d+$/.test(o)) throw badRequest(`dead-letter offsets are whole numbers, got "${o}"`);
          return BigInt(o);
        });
  for (const offset of Object.keys(sel.corrections)) {
    if (sel.offsets !== 'all' && !sel.offsets.includes(offset)) {
      throw badRequest(`a correction names offset ${offset}, which is not among the offsets to re-drive`);
    }
  }
  const from = wanted ? wanted.reduce((a, b) => (b < a ? b : a), marks.high) : marks.low;
  const until = wanted ? wanted.reduce((a, b) => (b >= a ? b + 1n : a), marks.low) : marks.high;
  if (until - from > BigInt(maxRedrive)) {
    throw badRequest(`re-drive at most ${maxRedrive} dead letters (a span of offsets) at once`);
  }
  const read = await readPartition(deps.kafka, {
    topic: sel.deadLetterTopic,
    partition: sel.partition,
    from,
    until: until > marks.high ? marks.high : until,
    limit: maxRedrive,
  });
  const chosen = wanted ? read.filter((m) => wanted.includes(BigInt(m.offset))) : read;
  if (wanted) {
    const found = new Set(chosen.map((m) => m.offset));
    const missing = wanted.filter((o) => !found.has(String(o)));
    if (missing.length > 0) {
      throw badRequest(
        `no dead letter at offset ${missing.join(', ')} of ${sel.deadLetterTopic}-${sel.partition} (it holds ${marks.low} to ${marks.high - 1n})`,
      );
    }
  }
  const records = chosen.map((message) => ({
    from: message.offset,
    record: redriveRecord(
      { topic: sel.deadLetterTopic, partition: sel.partition, message },
      { fallbackTopic: sel.fallbackTopic, correction: sel.corrections[message.offset], now: deps.now },
    ),
  }));
  return { redriven: records.length, targets: await produceAll(deps, records) };
}

/**
 * Sends the records, each on the partition kafkajs' default partitioner gives its key (as publish-users
 * sends), so the offset of each can be told from its partition's base offset and its place in the request.
 */
async function produceAll(
  deps: { admin: Admin; producer: Producer },
  records: ReadonlyArray<{ from: string; record: RedriveRecord }>,
): Promise<RedriveResult['targets']> {
  const targets: RedriveResult['targets'] = [];
  const byTopic = new Map<string, Array<{ from: string; record: RedriveRecord }>>();
  for (const r of records) byTopic.set(r.record.topic, [...(byTopic.get(r.record.topic) ?? []), r]);
  for (const [topic, list] of byTopic) {
    const partitions = (await deps.admin.fetchTopicOffsets(topic)).length;
    for (let i = 0; i < list.length; i += 500) {
      const chunk = list.slice(i, i + 500).map((r, n) => ({
        ...r,
        partition:
          r.record.key === null ? (i + n) % partitions : partitionFor(topic, r.record.key, partitions),
      }));
      const sent = await deps.producer.send({
        topic,
        acks: -1,
        messages: chunk.map((r) => ({
          key: r.record.key,
          value: r.record.value,
          headers: r.record.headers,
          partition: r.partition,
        })),
      });
      const next = new Map(sent.map((m) => [m.partition, BigInt(m.baseOffset ?? '-1')]));
      for (const r of chunk) {
        const offset = next.get(r.partition);
        if (offset !== undefined && offset >= 0n) next.set(r.partition, offset + 1n);
        targets.push({
          from: r.from,
          topic,
          partition: r.partition,
          ...(offset !== undefined && offset >= 0n ? { offset: String(offset) } : {}),
        });
      }
    }
  }
  return targets;
}

/** The bus's dead letters as the page shows them, credentials masked. */
export async function busDeadLetters(pool: Pick<pg.Pool, 'query'>): Promise<BusDeadLetter[]> {
  let letters: Awaited<ReturnType<typeof listDeadLetters>>;
  try {
    letters = await listDeadLetters(pool);
  } catch (error) {
    // SQLSTATE 42P01: no bus has run on this database yet, so it holds no dead letters.
    if (error instanceof Error && 'code' in error && error.code === '42P01') return [];
    throw error;
  }
  return letters.map((d) => ({
    id: d.id,
    ruleArn: d.attributes.RULE_ARN,
    targetArn: d.attributes.TARGET_ARN,
    errorCode: d.attributes.ERROR_CODE,
    errorMessage: maskText(d.attributes.ERROR_MESSAGE),
    attempts: Number(d.attributes.RETRY_ATTEMPTS),
    deadLetteredAt: d.deadAt.toISOString(),
    detailType: d.event['detail-type'],
    event: maskCredentials(d.event),
  }));
}

/** Moves the bus's dead letters (the named ones, or all) back to pending; the running bus delivers them. */
export async function redriveBusDeadLetters(
  pool: pg.Pool,
  ids: readonly string[] | 'all',
  now: Date,
): Promise<RedriveResult> {
  if (ids !== 'all' && ids.some((id) => !/^\d+$/.test(id)))
    throw badRequest('bus dead-letter ids are whole numbers');
  const moved = await redriveBus(pool, ids === 'all' ? undefined : ids, now);
  return { redriven: moved.length, targets: moved.map((d) => ({ from: d.id })) };
}
