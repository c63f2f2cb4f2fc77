/**
 * Which partition a key lands on: kafkajs' DefaultPartitioner (Java's murmur2), the one publish-users'
 * producer uses (functions/lib/kafka.ts), so the user trace looks where the relay wrote, and a re-driven
 * record goes where its key always goes. Pure.
 */
import kafkajs from 'kafkajs';

const partitioner = kafkajs.Partitioners.DefaultPartitioner();

/** The partition of `key` on a topic of `partitions` partitions. */
export function partitionFor(topic: string, key: string | Buffer, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new RangeError(`a topic has at least one partition, got ${partitions}`);
  }
  return partitioner({
    topic,
    // Keyed records use the partition count only; the leaders matter for records without a key.
    partitionMetadata: Array.from({ length: partitions }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
      partitionErrorCode: 0,
    })),
    message: { key, value: null },
  });
}
