/**
 * Creates the pipeline's Kafka topics and grows their partition counts. Kafka cannot shrink a topic, and
 * fewer partitions than the producers expect would only lower parallelism, so a topic with more partitions
 * than required is left alone. Growing a topic remaps keys to partitions, so per-key order holds only for
 * records produced after the change: grow topics before traffic, which is when `migrate` runs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { type Admin, logLevel } from 'kafkajs';
import { Kafka } from '../../lib/kafkajs.ts';
import { serviceName } from '../../lib/topology.ts';
import { MigrationError, ServerUnreachableError, TopicMigrationError } from './errors.ts';
import { kafkaTopics } from './topics.ts';
import type { MigrationLog } from './types.ts';

/** A topic the pipeline needs. */
export interface TopicSpec {
  topic: string;
  numPartitions: number;
  configEntries?: ReadonlyArray<{ name: string; value: string }>;
}

/** Options of `migrateKafka`; `migrate` fills them from the stack config and `kafkaDefaults`. */
export interface KafkaMigrationOptions {
  /** `host:port` of one or more brokers. */
  brokers: string[];
  topics: readonly TopicSpec[];
  /** Omitted: the broker's `default.replication.factor`. */
  replicationFactor?: number | undefined;
  connectTimeoutMs: number;
  /** How long a created or grown topic may take to show every partition with a leader. */
  topicReadyTimeoutMs: number;
  log: MigrationLog;
}

/** Defaults of the Kafka options that do not depend on the stack config. */
export const kafkaDefaults = {
  topics: kafkaTopics,
  connectTimeoutMs: 5_000,
  topicReadyTimeoutMs: 30_000,
} as const satisfies Partial<KafkaMigrationOptions>;

/** What happened to one topic. `partitions` is the count after the run. */
export interface TopicOutcome {
  topic: string;
  action: 'created' | 'increased' | 'present';
  partitions: number;
  required: number;
  /** The count before an increase. */
  previousPartitions?: number;
}

/** What `migrateKafka` did. */
export interface KafkaSummary {
  endpoint: string;
  topics: TopicOutcome[];
}

// kafkajs spreads its error classes into module.exports, which Node's ESM named-export detection cannot see.
const { KafkaJSError } = kafkajs;

const topicPattern = /^[a-zA-Z0-9._-]{1,249}$/;

/** What a topic needs, given its current partition count (`undefined`: it does not exist). */
export function planTopic(required: number, current: number | undefined): 'create' | 'increase' | 'present' {
  if (current === undefined) return 'create';
  return current < required ? 'increase' : 'present';
}

/**
 * Creates missing topics and increases the partitions of topics that have fewer than required.
 *
 * @throws ServerUnreachableError when no broker answers.
 * @throws TopicMigrationError when a topic cannot be created or grown.
 */
export async function migrateKafka(options: KafkaMigrationOptions): Promise<KafkaSummary> {
  for (const spec of options.topics) {
    if (!topicPattern.test(spec.topic) || spec.topic === '.' || spec.topic === '..') {
      throw new MigrationError(`invalid Kafka topic name "${spec.topic}"`);
    }
    if (!Number.isInteger(spec.numPartitions) || spec.numPartitions < 1) {
      throw new MigrationError(`topic ${spec.topic}: numPartitions must be a positive integer`);
    }
  }
  const endpoint = options.brokers.join(',');
  const kafka = new Kafka({
    clientId: `${serviceName}-migrate`,
    brokers: options.brokers,
    connectionTimeout: options.connectTimeoutMs,
    // Errors reach the caller as exceptions; kafkajs' own console logging would only repeat them.
    logLevel: logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 200 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    await admin.disconnect().catch(() => undefined);
    throw new ServerUnreachableError('Kafka', endpoint, error);
  }
  try {
    const counts = await partitionCounts(
      admin,
      options.topics.map((t) => t.topic),
    );
    const topics: TopicOutcome[] = [];
    for (const spec of options.topics) {
      const outcome = await reconcile(admin, spec, counts.get(spec.topic), options);
      if (outcome.action === 'created')
        options.log(`created topic ${spec.topic} with ${outcome.partitions} partition(s)`);
      if (outcome.action === 'increased') {
        options.log(
          `increased topic ${spec.topic} from ${outcome.previousPartitions} to ${outcome.partitions}`,
        );
      }
      topics.push(outcome);
    }
    return { endpoint, topics };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Partition counts of those of `names` that exist. */
async function partitionCounts(admin: Admin, names: readonly string[]): Promise<Map<string, number>> {
  const existing = new Set(await admin.listTopics());
  const wanted = names.filter((n) => existing.has(n));
  if (wanted.length === 0) return new Map();
  const metadata = await admin.fetchTopicMetadata({ topics: wanted });
  return new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
}

async function reconcile(
  admin: Admin,
  spec: TopicSpec,
  current: number | undefined,
  options: KafkaMigrationOptions,
): Promise<TopicOutcome> {
  const required = spec.numPartitions;
  let count: number;
  if (current === undefined) {
    if (await createTopic(admin, spec, options)) {
      await waitUntilReady(admin, spec.topic, required, options.topicReadyTimeoutMs);
      return { topic: spec.topic, action: 'created', partitions: required, required };
    }
    // Another run created it in the meantime, and this broker may not list it yet: wait, then carry on as with
    // any existing topic.
    count = await waitUntilReady(admin, spec.topic, 1, options.topicReadyTimeoutMs);
  } else {
    count = current;
  }
  if (planTopic(required, count) === 'present') {
    return { topic: spec.topic, action: 'present', partitions: count, required };
  }
  try {
    await admin.createPartitions({ topicPartitions: [{ topic: spec.topic, count: required }] });
  } catch (error) {
    // A concurrent run that grew the topic first makes ours fail with INVALID_PARTITIONS.
    if (error instanceof KafkaJSError && 'type' in error && error.type === 'INVALID_PARTITIONS') {
      const now = await waitUntilReady(admin, spec.topic, required, options.topicReadyTimeoutMs);
      return { topic: spec.topic, action: 'present', partitions: now, required };
    }
    throw new TopicMigrationError(
      spec.topic,
      `cannot grow it from ${count} to ${required} partitions`,
      error,
    );
  }
  await waitUntilReady(admin, spec.topic, required, options.topicReadyTimeoutMs);
  return {
    topic: spec.topic,
    action: 'increased',
    partitions: required,
    required,
    previousPartitions: count,
  };
}

/** Creates a topic; false when it already exists. */
async function createTopic(admin: Admin, spec: TopicSpec, options: KafkaMigrationOptions): Promise<boolean> {
  try {
    return await admin.createTopics({
      // kafkajs' own wait gives up on the first UNKNOWN_TOPIC_OR_PARTITION, which a broker whose metadata
      // lags the controller returns right after creation; waitUntilReady tolerates it.
      waitForLeaders: false,
      topics: [
        {
          topic: spec.topic,
          numPartitions: spec.numPartitions,
          ...(options.replicationFactor === undefined
            ? {}
            : { replicationFactor: options.replicationFactor }),
          ...(spec.configEntries ? { configEntries: [...spec.configEntries] } : {}),
        },
      ],
    });
  } catch (error) {
    throw new TopicMigrationError(spec.topic, 'cannot create it', error);
  }
}

/**
 * Polls the metadata until the topic shows at least `partitions` partitions, each with a leader, then waits
 * until every leader serves the partition (a ListOffsets succeeds), and returns the partition count.
 */
async function waitUntilReady(
  admin: Admin,
  topic: string,
  partitions: number,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let seen = 'no metadata';
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      const found = metadata.topics.find((t) => t.name === topic)?.partitions ?? [];
      const led = found.filter((p) => p.leader >= 0).length;
      seen = `${found.length} partitions, ${led} with a leader`;
      if (found.length >= partitions && led === found.length) {
        // The metadata names a leader as soon as the controller elects it, but the broker may not act as that
        // leader yet: a produce then answers NOT_LEADER_OR_FOLLOWER, and kafkajs resends the whole request,
        // repeating the records of the partitions that took it. A ListOffsets succeeds only once every
        // partition's leader serves it, so the topic is ready when this does.
        seen = `${found.length} partitions with a leader, not all of them serving yet`;
        await admin.fetchTopicOffsets(topic);
        return found.length;
      }
    } catch (error) {
      // Protocol errors such as UNKNOWN_TOPIC_OR_PARTITION only mean the metadata has not caught up yet.
      if (!(error instanceof KafkaJSError)) throw error;
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new TopicMigrationError(
        topic,
        `not ready after ${timeoutMs} ms (wanted ${partitions} partitions with leaders, saw ${seen})`,
        lastError,
      );
    }
    await sleep(100);
  }
}
