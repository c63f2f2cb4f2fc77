/**
 * Builders of Kafka events, as the event source delivers them to sink-users, for the sink's unit and
 * integration tests and for events/sink-users.json. Not imported by the handler, so never bundled.
 */
import type { z } from 'zod';
import type { kafkaEventSchema } from '../lib/kafka-event.ts';

/** An event as it arrives, before validation. */
export type KafkaEventInput = z.input<typeof kafkaEventSchema>;
type RecordInput = KafkaEventInput['records'][string][number];

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

/** A record as the event source delivers it: key and value base64, headers as byte arrays. */
export function kafkaRecord(spec: RecordSpec): RecordInput {
  const { topic = 'users_created', partition = 0, offset, key, value, headers = {} } = spec;
  return {
    topic,
    partition,
    offset,
    timestamp: Date.UTC(2026, 0, 1) + offset,
    timestampType: 'CREATE_TIME',
    ...(key === undefined || key === null ? {} : { key: toBytes(key).toString('base64') }),
    ...(value === undefined || value === null ? {} : { value: toBytes(value).toString('base64') }),
    headers: Object.entries(headers).map(([name, text]) => ({ [name]: [...Buffer.from(text, 'utf8')] })),
  };
}

/** A self-managed Kafka event with `records` grouped by `"<topic>-<partition>"`, in the given order. */
export function kafkaEvent(
  records: readonly RecordInput[],
  bootstrapServers = '127.0.0.1:9092',
): KafkaEventInput {
  const grouped: Record<string, RecordInput[]> = {};
  for (const record of records) {
    const group = `${record.topic}-${record.partition}`;
    grouped[group] = [...(grouped[group] ?? []), record];
  }
  return { eventSource: 'SelfManagedKafka', bootstrapServers, records: grouped };
}

function toBytes(data: string | Buffer | object): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Buffer.from(typeof data === 'string' ? data : JSON.stringify(data), 'utf8');
}
