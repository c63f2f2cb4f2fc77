/**
 * The Kafka view (broker, topics with watermarks and sizes, consumer groups with committed offsets and lag)
 * and the one action on it: resetting a group's offsets, which Kafka allows only while the group has no
 * members.
 */
import type { Admin } from 'kafkajs';
import { errorText } from '../../lib/errors.ts';
import type { GroupView, KafkaView, OffsetResetRequest, OffsetResetResult, TopicView } from './api.ts';
import { ConsoleError, notFound } from './errors.ts';
import { consoleGroupPrefix } from './kafka-read.ts';
import type { TopicBytes } from './log-dirs.ts';
import type { ConsoleSources } from './sources.ts';

type Offsets = Awaited<ReturnType<Admin['fetchTopicOffsets']>>;

/** Kafka's own topics (`__consumer_offsets`, ...): not the pipeline's, and left out. */
const internalTopic = /^__/;

/** A Kafka failure as the 503 the routes answer. */
export function kafkaUnavailable(error: unknown): ConsoleError {
  return new ConsoleError(
    `Kafka does not answer: ${errorText(error)}. Is the stack up (npm run stack:status)?`,
    503,
    {
      code: 'KAFKA_UNAVAILABLE',
      retryable: true,
      cause: error,
    },
  );
}

/**
 * A topic's partitions from its watermarks, in partition order, with their sizes when `sizes` (partition →
 * bytes) has them.
 */
export function topicView(
  name: string,
  offsets: Offsets,
  leaders: ReadonlyMap<number, number>,
  sizes: ReadonlyMap<number, number> | null = null,
): TopicView {
  const partitions = [...offsets]
    .sort((a, b) => a.partition - b.partition)
    .map((p) => ({
      partition: p.partition,
      leader: leaders.get(p.partition) ?? -1,
      low: p.low,
      high: p.high,
      records: Number(p.high) - Number(p.low),
      bytes: sizes?.get(p.partition) ?? null,
    }));
  const sized = partitions.every((p) => p.bytes !== null);
  return {
    name,
    partitions,
    records: partitions.reduce((sum, p) => sum + p.records, 0),
    bytes: sizes && sized ? partitions.reduce((sum, p) => sum + (p.bytes ?? 0), 0) : null,
  };
}

/** Reads the topics' sizes when the sources can; a failure there is the console's, not the broker's. */
async function topicSizes(
  sources: Pick<ConsoleSources, 'topicBytes'>,
  names: readonly string[],
): Promise<TopicBytes> {
  if (!sources.topicBytes) return new Map();
  try {
    return await sources.topicBytes(names);
  } catch (error) {
    throw new ConsoleError(`The topics' sizes could not be read: ${errorText(error)}`, 500, {
      code: 'TOPIC_SIZES_FAILED',
      cause: error,
    });
  }
}

/**
 * A group's committed offsets and lag per partition of each topic it committed on. A partition without a
 * commit (-1) lags by everything from the low watermark, as `consumerLag` counts it.
 */
export function groupTopics(
  committed: ReadonlyArray<{
    topic: string;
    partitions: ReadonlyArray<{ partition: number; offset: string }>;
  }>,
  offsetsOf: ReadonlyMap<string, Offsets>,
): GroupView['topics'] {
  return committed
    .filter((t) => offsetsOf.has(t.topic))
    .map((t) => {
      const ends = offsetsOf.get(t.topic) ?? [];
      return {
        topic: t.topic,
        partitions: [...ends]
          .sort((a, b) => a.partition - b.partition)
          .map((end) => {
            const at = Number(t.partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
            return {
              partition: end.partition,
              committed: String(at),
              high: end.high,
              lag: Number(end.high) - (at >= 0 ? at : Number(end.low)),
            };
          }),
      };
    });
}

/**
 * Everything the Kafka view shows: the cluster, every topic but Kafka's own, every consumer group but the
 * console's own throwaway ones, and which group and topic are the run's sink.
 *
 * @param sources - the broker's version as the stack knows it, the run's names, and the topics' sizes when
 *   the sources can read them
 * @throws ConsoleError 503 when the broker does not answer
 */
export async function kafkaView(
  admin: Admin,
  sources: Pick<ConsoleSources, 'kafkaVersion' | 'names' | 'topicBytes'>,
): Promise<KafkaView> {
  try {
    const cluster = await admin.describeCluster();
    const names = (await admin.listTopics()).filter((t) => !internalTopic.test(t)).sort();
    const metadata = names.length > 0 ? await admin.fetchTopicMetadata({ topics: names }) : { topics: [] };
    const [offsetsOf, sizes] = await Promise.all([
      Promise.all(names.map(async (name) => [name, await admin.fetchTopicOffsets(name)] as const)).then(
        (pairs) => new Map(pairs),
      ),
      topicSizes(sources, names),
    ]);
    const topics = metadata.topics
      .map((t) =>
        topicView(
          t.name,
          offsetsOf.get(t.name) ?? [],
          new Map(t.partitions.map((p) => [p.partitionId, p.leader])),
          sizes.get(t.name) ?? null,
        ),
      )
      .sort((a, b) => a.name.localeCompare(b.name));
    const ids = (await admin.listGroups()).groups
      .map((g) => g.groupId)
      .filter((id) => !id.startsWith(consoleGroupPrefix))
      .sort();
    const described = ids.length > 0 ? (await admin.describeGroups(ids)).groups : [];
    const groups = await Promise.all(
      described.map(
        async (g): Promise<GroupView> => ({
          groupId: g.groupId,
          state: g.state,
          members: g.members.length,
          topics: groupTopics(await admin.fetchOffsets({ groupId: g.groupId }), offsetsOf),
        }),
      ),
    );
    const healthy =
      cluster.brokers.length > 0 && metadata.topics.every((t) => t.partitions.every((p) => p.leader >= 0));
    return {
      brokers: cluster.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
      controller: cluster.controller,
      clusterId: cluster.clusterId,
      version: sources.kafkaVersion,
      healthy,
      topics,
      groups,
      sink: { groupId: sources.names.groupId, topic: sources.names.topic },
    };
  } catch (error) {
    throw error instanceof ConsoleError ? error : kafkaUnavailable(error);
  }
}

/** The offsets a reset moves every partition to: the low or high watermark, or the first at a time. */
export async function resetTargets(
  admin: Admin,
  request: OffsetResetRequest,
): Promise<Array<{ partition: number; offset: string }>> {
  if (request.to === 'timestamp') {
    // The first offset at or after the time; past the last record, the high watermark (kafkajs maps -1).
    const found = await admin.fetchTopicOffsetsByTimestamp(request.topic, Date.parse(request.timestamp));
    return found
      .map((p) => ({ partition: p.partition, offset: p.offset }))
      .sort((a, b) => a.partition - b.partition);
  }
  const offsets = await admin.fetchTopicOffsets(request.topic);
  return offsets
    .map((p) => ({ partition: p.partition, offset: request.to === 'earliest' ? p.low : p.high }))
    .sort((a, b) => a.partition - b.partition);
}

/**
 * Moves `groupId`'s committed offsets on `request.topic` (a replay when backwards).
 *
 * @throws ConsoleError 409 `GROUP_HAS_MEMBERS` while the group has members: Kafka refuses it then
 * @throws ConsoleError 404 when the topic does not exist
 */
export async function resetGroup(
  admin: Admin,
  groupId: string,
  request: OffsetResetRequest,
): Promise<OffsetResetResult> {
  const [group] = (await admin.describeGroups([groupId])).groups;
  const members = group?.members.length ?? 0;
  if (members > 0) throw groupHasMembers(groupId, members);
  if (!(await admin.listTopics()).includes(request.topic)) throw notFound(`no topic ${request.topic}`);
  const partitions = await resetTargets(admin, request);
  try {
    await admin.setOffsets({ groupId, topic: request.topic, partitions });
  } catch (error) {
    // A member joined between the check and the reset.
    if (/no running instances/i.test(errorText(error))) throw groupHasMembers(groupId, 1, error);
    throw error;
  }
  return { groupId, topic: request.topic, partitions };
}

function groupHasMembers(groupId: string, members: number, cause?: unknown): ConsoleError {
  return new ConsoleError(
    `The consumer group ${groupId} has ${members} member${members === 1 ? '' : 's'}, and Kafka resets a group's ` +
      'offsets only while it has none. Disable the event source first (Event sources: pause), reset, then ' +
      'enable it again.',
    409,
    { code: 'GROUP_HAS_MEMBERS', cause },
  );
}
