/**
 * Reading a range of one topic partition, for the message browser, the dead letters and the user trace.
 *
 * kafkajs has no consumer without a group (no `assign()`), so each read is a consumer of a throwaway group
 * that never commits, and whose assigner hands it the one partition asked for: the broker serves that
 * partition alone, no other member can be given it, and the group leaves no offsets behind (Kafka forgets an
 * empty group without offsets). The console's groups share a prefix, which the Kafka view leaves out. A
 * group join costs a round trip or two on the local broker; a read is a click, not a loop, so that is fine.
 */
import { randomUUID } from 'node:crypto';
import { AssignerProtocol, type KafkaMessage, type PartitionAssigner } from 'kafkajs';
import type { Kafka } from '../../lib/kafkajs.ts';
import { serviceName } from '../../lib/topology.ts';

/** The prefix of every consumer group the console itself makes (reads, the latency tail). */
export const consoleGroupPrefix = `${serviceName}-console-`;

/** A range of one partition to read. */
export interface PartitionRange {
  topic: string;
  partition: number;
  /** The first offset to read. */
  from: bigint;
  /** The offset to stop before: the partition's high watermark when the read was asked for. */
  until: bigint;
  /** At most this many messages. */
  limit: number;
  /** Stop after the first message this returns true for (it is included). */
  stopAt?: (message: KafkaMessage) => boolean;
  /** Give up and return what was read after this long (15 s). */
  timeoutMs?: number;
}

/** An assigner that gives the group's one member exactly `partition` of `topic`. */
function onePartition(topic: string, partition: number): PartitionAssigner {
  return () => ({
    name: 'ConsoleOnePartition',
    version: 0,
    async assign({ members }) {
      return members.map(({ memberId }, i) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 0,
          assignment: i === 0 ? { [topic]: [partition] } : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: 'ConsoleOnePartition',
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
      };
    },
  });
}

/**
 * Reads `range`: the messages from `from` up to `until` (exclusive), at most `limit`, in offset order.
 * Returns early at `until`, at `limit`, at `stopAt`, or when the broker has sent nothing for a while (the
 * offsets before `until` may be transaction markers or compacted away).
 */
export async function readPartition(kafka: Kafka, range: PartitionRange): Promise<KafkaMessage[]> {
  if (range.from >= range.until || range.limit <= 0) return [];
  const consumer = kafka.consumer({
    groupId: `${consoleGroupPrefix}read-${randomUUID()}`,
    partitionAssigners: [onePartition(range.topic, range.partition)],
    maxWaitTimeInMs: 250,
    allowAutoTopicCreation: false,
    // A failed read is reported to the page, not restarted behind its back.
    retry: { retries: 2, restartOnFailure: async () => false },
  });
  const read: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [range.topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      let idle: NodeJS.Timeout | undefined;
      const overall = setTimeout(done, range.timeoutMs ?? 15_000);
      function done() {
        clearTimeout(overall);
        clearTimeout(idle);
        resolve();
      }
      const waitForMore = () => {
        clearTimeout(idle);
        idle = setTimeout(done, 3_000);
      };
      // A failed join or fetch that kafkajs gives up on: the read fails with it instead of timing out.
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        clearTimeout(overall);
        clearTimeout(idle);
        reject(payload.error);
      });
      consumer
        .run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch }) => {
            if (batch.topic !== range.topic || batch.partition !== range.partition) return;
            for (const message of batch.messages) {
              const offset = BigInt(message.offset);
              if (offset < range.from) continue;
              if (offset >= range.until) return done();
              read.push(message);
              if (read.length >= range.limit || range.stopAt?.(message) || offset + 1n >= range.until) {
                return done();
              }
            }
            waitForMore();
          },
        })
        .then(() => {
          consumer.seek({ topic: range.topic, partition: range.partition, offset: String(range.from) });
          waitForMore();
        }, reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return read;
}
