/**
 * The Kafka topics the migrations create: the pipeline's topic and its dead-letter topic with their partition
 * counts (lib/topology.ts), under the names a run gives them. They sit with the migrations, which create and
 * grow them, as the SQL and CQL files do for the other two systems.
 */
import { topics } from '../../lib/topology.ts';
import type { StackConfig } from '../local/config.ts';

/** The Kafka topics the pipeline needs, with their partition counts. */
export const kafkaTopics = [
  { topic: topics.usersCreated.name, numPartitions: topics.usersCreated.partitions },
  { topic: topics.deadLetter.name, numPartitions: topics.deadLetter.partitions },
] as const;

/** {@link kafkaTopics} under the names the config gives them (KAFKA_TOPIC, KAFKA_DLQ_TOPIC). */
export function pipelineTopics(
  cfg: Pick<StackConfig, 'pipeline'>,
): Array<{ topic: string; numPartitions: number }> {
  const [main, dlq] = kafkaTopics;
  return [
    { topic: cfg.pipeline.topic, numPartitions: main.numPartitions },
    { topic: cfg.pipeline.deadLetterTopic, numPartitions: dlq.numPartitions },
  ];
}
