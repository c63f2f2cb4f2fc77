/**
 * Kafka events as the event source delivers them to sink-users, for the sink's unit and integration tests:
 * records given by their coordinates and unencoded key, value and headers. The event itself is built by
 * the local event source's own builder (infra/offline-kafka/event.ts), so the tests feed the sink exactly
 * the shape `sls offline` does.
 */
import {
  type EventRecord,
  eventOfRecords,
  type KafkaEvent,
  toEventRecord,
} from '../../infra/offline-kafka/event.ts';

/** What {@link kafkaRecord} builds a record from; `key` and `value` are given unencoded. */
export interface RecordSpec {
  topic?: string;
  partition?: number;
  offset: number;
  /** Text or bytes; `null` or absent for none. */
  key?: string | Buffer | null;
  /** Text or bytes, or an object sent as its JSON; `null` or absent for none. */
  value?: string | Buffer | object | null;
  /** Header name → text. */
  headers?: Record<string, string>;
}

/**
 * A record as the event source delivers it: key and value base64, headers as byte arrays. Defaults: topic
 * `users_created`, partition 0, a creation time of 2026-01-01 plus the offset in milliseconds.
 */
export function kafkaRecord(spec: RecordSpec): EventRecord {
  const { topic = 'users_created', partition = 0, offset, key, value, headers = {} } = spec;
  return toEventRecord({
    topic,
    partition,
    offset,
    timestamp: Date.UTC(2026, 0, 1) + offset,
    timestampType: 'CREATE_TIME',
    key: key === undefined || key === null ? null : toBytes(key),
    value: value === undefined || value === null ? null : toBytes(value),
    headers: Object.entries(headers).map(([name, text]) => [name, Buffer.from(text, 'utf8')]),
  });
}

/** A self-managed Kafka event with `records` grouped by `"<topic>-<partition>"`, in the given order. */
export function kafkaEvent(records: readonly EventRecord[], bootstrapServers = '127.0.0.1:9092'): KafkaEvent {
  return eventOfRecords({ eventSource: 'SelfManagedKafka', bootstrapServers }, records);
}

function toBytes(data: string | Buffer | object): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Buffer.from(typeof data === 'string' ? data : JSON.stringify(data), 'utf8');
}
