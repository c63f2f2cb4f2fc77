/**
 * Reads a topic and wraps its records in Lambda Kafka events, as AWS's event source mapping delivers them:
 * records grouped by `"topic-partition"`, the real partition, offset and timestamp, base64 key and value,
 * and headers as byte arrays. The pipeline tests use it to drive sink-users from real Kafka records before
 * the local event source exists.
 */
import type { Kafka } from 'kafkajs';
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
    await consumer.run({
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
 * offset order.
 */
export function toLambdaEvents(
  records: readonly ReadRecord[],
  batchSize = 100,
  bootstrapServers = '127.0.0.1:9092',
) {
  const byPartition = new Map<string, ReadRecord[]>();
  for (const r of records) {
    const key = `${r.topic}-${r.partition}`;
    byPartition.set(key, [...(byPartition.get(key) ?? []), r]);
  }
  const events: unknown[] = [];
  for (const [key, list] of byPartition) {
    const sorted = [...list].sort((a, b) => a.offset - b.offset);
    for (let i = 0; i < sorted.length; i += batchSize) {
      events.push({
        eventSource: 'SelfManagedKafka',
        bootstrapServers,
        records: {
          [key]: sorted.slice(i, i + batchSize).map((r) => ({
            topic: r.topic,
            partition: r.partition,
            offset: r.offset,
            timestamp: r.timestamp,
            timestampType: 'CREATE_TIME',
            ...(r.key === null ? {} : { key: r.key.toString('base64') }),
            ...(r.value === null ? {} : { value: r.value.toString('base64') }),
            headers: Object.entries(r.headers).map(([name, bytes]) => ({ [name]: [...bytes] })),
          })),
        },
      });
    }
  }
  return events;
}
