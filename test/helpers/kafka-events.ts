/**
 * Reads a topic and wraps its records in Lambda Kafka events, as AWS's event source mapping delivers them:
 * records grouped by `"topic-partition"`, the real partition, offset and timestamp, base64 key and value,
 * and headers as byte arrays (built by the local event source's own builder, infra/offline-kafka/event.ts).
 * The pipeline tests use it to drive sink-users from real Kafka records without the local event source.
 */

import {
  buildEvent,
  type KafkaEvent,
  partitionKey,
  type SourceRecord,
} from '../../infra/offline-kafka/event.ts';
import type { Kafka } from '../../lib/kafkajs.ts';
import { eventually, uniqueName } from './stack.ts';

/** A record as read, with its coordinates. */
export interface ReadRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}

/** Reads every record now on `topic` (up to each partition's high watermark), from the start. */
export async function readAll(kafka: Kafka, topic: string, timeoutMs = 60_000): Promise<ReadRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  let expected = 0;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    expected = offsets.reduce((sum, o) => sum + (Number(o.high) - Number(o.low)), 0);
  } finally {
    await admin.disconnect();
  }
  if (expected === 0) return [];
  // By position: a rebalance of the reading group may deliver a record twice; each is kept once.
  const records = new Map<string, ReadRecord>();
  const consumer = kafka.consumer({ groupId: uniqueName('it-read') });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    // Nothing committed: Kafka drops the group once it is empty, instead of keeping a group per read.
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic: t, partition, message }) => {
        const headers: Record<string, Buffer> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) {
          const first = Array.isArray(value) ? value[0] : value;
          if (first !== undefined) headers[name] = Buffer.isBuffer(first) ? first : Buffer.from(first);
        }
        records.set(`${partition}:${message.offset}`, {
          topic: t,
          partition,
          offset: Number(message.offset),
          timestamp: Number(message.timestamp),
          key: message.key,
          value: message.value,
          headers,
        });
      },
    });
    await eventually(
      `${expected} records on ${topic}`,
      async () => (records.size >= expected ? true : undefined),
      timeoutMs,
    );
    return [...records.values()];
  } finally {
    await consumer.disconnect();
  }
}

/**
 * Wraps records in self-managed Kafka events of at most `batchSize` records, one partition per event, in
 * offset order, with the local event source's own builder.
 */
export function toLambdaEvents(
  records: readonly ReadRecord[],
  batchSize = 100,
  bootstrapServers = '127.0.0.1:9092',
): KafkaEvent[] {
  const byPartition = new Map<string, SourceRecord[]>();
  for (const r of records) {
    const key = partitionKey(r);
    const record: SourceRecord = { ...r, timestampType: 'CREATE_TIME', headers: Object.entries(r.headers) };
    byPartition.set(key, [...(byPartition.get(key) ?? []), record]);
  }
  const events: KafkaEvent[] = [];
  for (const list of byPartition.values()) {
    const sorted = [...list].sort((a, b) => a.offset - b.offset);
    for (let i = 0; i < sorted.length; i += batchSize) {
      events.push(
        buildEvent({ eventSource: 'SelfManagedKafka', bootstrapServers }, sorted.slice(i, i + batchSize)),
      );
    }
  }
  return events;
}
