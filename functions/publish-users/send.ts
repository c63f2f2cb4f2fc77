/**
 * Sends a claimed batch's planned records to Kafka and returns the verdict the outbox commits: every record
 * the broker acknowledged is published, every record the broker refuses for its size is dead, and any other
 * failure is thrown so the whole batch rolls back and is retried.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type RecordSender, RecordTooLargeError } from '../lib/kafka.ts';
import type { BatchVerdict, DeadMessage, OutboxMessage } from '../lib/outbox.ts';
import { chunkRecords, type PlannedRecord, planBatch } from './core.ts';

/** What {@link publishMessages} needs. */
export interface PublishDeps {
  sender: RecordSender;
  topic: string;
  /** The broker's `message.max.bytes`, as configured. */
  maxMessageBytes: number;
  logger: Pick<Logger, 'warn'>;
  /** The registry id of the value's schema: set, the values go in the Confluent wire format. */
  schemaId?: number | undefined;
}

/**
 * Plans, sends and judges one claimed batch (see `planBatch` and `chunkRecords` in core.ts).
 *
 * @throws {@link TransientError} from the sender when Kafka is unavailable; nothing is judged then
 */
export async function publishMessages(
  messages: readonly OutboxMessage[],
  deps: PublishDeps,
): Promise<BatchVerdict> {
  const plan = planBatch(messages, deps.maxMessageBytes, deps.schemaId);
  const published: string[] = [];
  const dead: DeadMessage[] = [...plan.dead];
  for (const chunk of chunkRecords(plan.records, deps.maxMessageBytes)) {
    const verdict = await sendChunk(chunk, deps);
    published.push(...verdict.published);
    dead.push(...verdict.dead);
  }
  return { published, dead };
}

/**
 * Sends a chunk in one request. When the broker refuses it for size although the pre-check passed (the
 * configured limit is above the broker's or the topic's), the chunk is sent again one record at a time, so
 * only the culprits are dead. One at a time rather than bisecting: the broker may have written the other
 * partitions of the refused request, and resending each record once bounds those duplicates to one copy.
 */
async function sendChunk(chunk: readonly PlannedRecord[], deps: PublishDeps): Promise<BatchVerdict> {
  try {
    await deps.sender.send(
      deps.topic,
      chunk.map((r) => r.record),
    );
    return { published: chunk.map((r) => r.outboxId), dead: [] };
  } catch (error) {
    if (!(error instanceof RecordTooLargeError)) throw error;
    const [only] = chunk;
    if (chunk.length === 1 && only) return { published: [], dead: [tooLarge(only, error)] };
    deps.logger.warn('Kafka refused a request for its size; sending its records one at a time', {
      topic: deps.topic,
      records: chunk.length,
      maxMessageBytes: deps.maxMessageBytes,
    });
  }
  const published: string[] = [];
  const dead: DeadMessage[] = [];
  for (const planned of chunk) {
    try {
      await deps.sender.send(deps.topic, [planned.record]);
      published.push(planned.outboxId);
    } catch (error) {
      if (!(error instanceof RecordTooLargeError)) throw error;
      dead.push(tooLarge(planned, error));
    }
  }
  return { published, dead };
}

function tooLarge(planned: PlannedRecord, error: RecordTooLargeError): DeadMessage {
  return { id: planned.outboxId, error: `record too large for Kafka: ${error.message}` };
}
