/**
 * The event Lambda's Kafka event-source mapping sends, built from records as Kafka returned them. Pure: the
 * runner hands in what kafkajs fetched; nothing here touches a socket. It is the repository's one builder of
 * that event: the tests that drive sink-users with records build their events here too (test/helpers).
 */

import { PipelineError } from '../../lib/errors.ts';
import { fitCount } from '../../lib/pack.ts';
import type { EventSource } from './options.ts';

/** A fetched record, as the runner keeps it: kafkajs's message plus where it came from. */
export interface SourceRecord {
  topic: string;
  partition: number;
  offset: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  timestampType: 'CREATE_TIME' | 'LOG_APPEND_TIME';
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[name: string, value: Buffer]>;
  /** Set by the schema registry step (registry.ts) on a key it validated; the key is then the delivered form. */
  keySchemaMetadata?: SchemaMetadata;
  /** Set by the schema registry step on a value it validated; the value is then the delivered form. */
  valueSchemaMetadata?: SchemaMetadata;
}

/**
 * What a mapping with a schema registry says of a key or value it validated, as AWS documents it: the data
 * format (`JSON` for a JSON Schema, `AVRO`, `PROTOBUF`) and the schema's id in the registry, as a string.
 */
export interface SchemaMetadata {
  dataFormat: string;
  schemaId: string;
}

/** One record of the event, in AWS's shape: base64 key and value, headers as byte arrays. */
export interface EventRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  timestampType: 'CREATE_TIME' | 'LOG_APPEND_TIME';
  key?: string;
  value?: string;
  headers: Array<Record<string, number[]>>;
  keySchemaMetadata?: SchemaMetadata;
  valueSchemaMetadata?: SchemaMetadata;
}

/** The event of a self-managed Kafka source, or of MSK (which adds the cluster's ARN). */
export type KafkaEvent =
  | { eventSource: 'SelfManagedKafka'; bootstrapServers: string; records: Record<string, EventRecord[]> }
  | {
      eventSource: 'aws:kafka';
      eventSourceArn: string;
      bootstrapServers: string;
      records: Record<string, EventRecord[]>;
    };

/** `users_created-3`: how the event keys a partition's records, and how partial batch responses name it. */
export function partitionKey(record: Pick<SourceRecord, 'topic' | 'partition'>): string {
  return `${record.topic}-${record.partition}`;
}

/**
 * A record in AWS's shape. A null key or value is left out, as Lambda leaves it out. Header values are
 * unsigned bytes (0 to 255), one header object per header, in the order Kafka returned them.
 */
export function toEventRecord(record: SourceRecord): EventRecord {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    timestampType: record.timestampType,
    ...(record.key === null ? {} : { key: record.key.toString('base64') }),
    ...(record.value === null ? {} : { value: record.value.toString('base64') }),
    headers: record.headers.map(([name, value]) => ({ [name]: [...value] })),
    ...(record.keySchemaMetadata ? { keySchemaMetadata: record.keySchemaMetadata } : {}),
    ...(record.valueSchemaMetadata ? { valueSchemaMetadata: record.valueSchemaMetadata } : {}),
  };
}

/** Where an event says it comes from: the source's kind, its brokers, and for MSK the cluster's ARN. */
export type EventOrigin = Pick<EventSource, 'eventSource' | 'eventSourceArn' | 'bootstrapServers'>;

/** The whole event for `records`, grouped by `"topic-partition"` in the order given. */
export function buildEvent(source: EventOrigin, records: readonly SourceRecord[]): KafkaEvent {
  return eventOfRecords(source, records.map(toEventRecord));
}

/**
 * The event for records already in AWS's shape (see {@link toEventRecord}), grouped by `"topic-partition"`
 * in the order given. {@link buildEvent} is this over fetched records; tests use it directly to deliver
 * records that no broker would return, such as a negative offset or a header byte out of range.
 */
export function eventOfRecords(source: EventOrigin, records: readonly EventRecord[]): KafkaEvent {
  const grouped: Record<string, EventRecord[]> = {};
  for (const record of records) {
    const key = partitionKey(record);
    const list = grouped[key] ?? [];
    list.push(record);
    grouped[key] = list;
  }
  if (source.eventSource === 'aws:kafka') {
    return {
      eventSource: 'aws:kafka',
      eventSourceArn: source.eventSourceArn ?? '',
      bootstrapServers: source.bootstrapServers,
      records: grouped,
    };
  }
  return { eventSource: 'SelfManagedKafka', bootstrapServers: source.bootstrapServers, records: grouped };
}

/**
 * Bytes a record adds to the serialized event, counted as JSON writes it (plus the comma).
 *
 * Counted, not serialized: every buffered record is sized, and building and stringifying its event form just
 * to measure it (the base64 of the value, a number array per header) cost as much as the invocation's own
 * serialization (measured by the benchmark). Only the short fixed fields go through JSON.stringify;
 * base64 and byte-array lengths follow from the byte counts. `event.test.ts` checks it against
 * `JSON.stringify(toEventRecord(record))`.
 */
export function recordJsonBytes(record: SourceRecord): number {
  const head = JSON.stringify({
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    timestampType: record.timestampType,
  });
  let bytes = Buffer.byteLength(head) - 1; // without its closing brace
  if (record.key !== null) bytes += ',"key":"'.length + base64Length(record.key.length) + 1;
  if (record.value !== null) bytes += ',"value":"'.length + base64Length(record.value.length) + 1;
  bytes += ',"headers":['.length;
  record.headers.forEach(([name, value], i) => {
    // {"name":[1,2,3]}, with a comma before all but the first
    bytes += (i > 0 ? 1 : 0) + 1 + Buffer.byteLength(JSON.stringify(name)) + 2;
    for (let j = 0; j < value.length; j++) {
      const b = value[j] as number;
      bytes += (b < 10 ? 1 : b < 100 ? 2 : 3) + (j > 0 ? 1 : 0);
    }
    bytes += 2;
  });
  bytes += 1; // ]
  for (const name of ['keySchemaMetadata', 'valueSchemaMetadata'] as const) {
    const metadata = record[name];
    if (metadata) bytes += `,"${name}":`.length + Buffer.byteLength(JSON.stringify(metadata));
  }
  return bytes + 1 /* } */ + 1 /* the comma */;
}

function base64Length(bytes: number): number {
  return 4 * Math.ceil(bytes / 3);
}

/** Bytes of an event with no records: the envelope and the `"topic-partition":[]` group. */
export function envelopeBytes(source: EventOrigin, topic: string, partition: number): number {
  const empty = buildEvent(source, []);
  return Buffer.byteLength(JSON.stringify({ ...empty, records: { [`${topic}-${partition}`]: [] } }));
}

/** A record that is larger on its own than the payload cap: Lambda could never deliver it. */
export class RecordTooLargeForPayloadError extends PipelineError {
  override readonly name: string = 'RecordTooLargeForPayloadError';
  constructor(
    readonly record: SourceRecord,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(
      `${partitionKey(record)}@${record.offset} needs ${bytes} bytes in the event, over the ${limit}-byte invocation payload limit`,
      { code: 'RECORD_TOO_LARGE_FOR_PAYLOAD', retryable: false },
    );
  }
}

/**
 * How many of `records` (from the front) make the next invocation: at most `batchSize`, and never more than
 * `limitBytes` of serialized event. Returns 0 only when `records` is empty.
 *
 * @param jsonBytes - {@link recordJsonBytes}, or a cache of it: the runner sizes each record as it buffers it,
 *   and sizing it again at every cut took 3% of the main thread in a profile of the benchmark
 * @throws {@link RecordTooLargeForPayloadError} when the first record alone exceeds the limit
 */
export function nextBatchLength(
  records: readonly SourceRecord[],
  batchSize: number,
  limitBytes: number,
  baseBytes: number,
  jsonBytes: (record: SourceRecord) => number = recordJsonBytes,
): number {
  // recordJsonBytes counts the comma before a record; the first of a group has none.
  const sizeOf = (record: SourceRecord) => jsonBytes(record) - 1;
  const n = fitCount(records, sizeOf, {
    maxBytes: limitBytes,
    maxItems: batchSize,
    baseBytes,
    separatorBytes: 1,
  });
  const [first] = records;
  if (n === 0 && first !== undefined) {
    throw new RecordTooLargeForPayloadError(first, baseBytes + sizeOf(first), limitBytes);
  }
  return n;
}
