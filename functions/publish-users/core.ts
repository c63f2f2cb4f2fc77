/**
 * The pure decisions of `publish-users`: which trigger started the run, the Kafka record of each claimed
 * outbox row, which rows are dead before anything is sent, how records are grouped into requests the broker
 * accepts, and when the relay stops claiming batches. Nothing here touches a socket or a clock.
 */
import { z } from 'zod';
import { packBySize } from '../../lib/pack.ts';
import type { OutgoingRecord } from '../lib/kafka.ts';
import type { DeadMessage, OutboxMessage } from '../lib/outbox.ts';
import { detailTypes, usersStoredSchema } from '../lib/schemas.ts';
import { headerNames, userCreatedSchema } from '../lib/users-created.ts';
import { check } from '../lib/validate.ts';
import { frameValue } from '../lib/wire-format.ts';

/** A record ready to send, with the outbox row it comes from. */
export interface PlannedRecord {
  outboxId: string;
  record: OutgoingRecord & { key: string; value: string | Buffer; headers: Record<string, string> };
  /** An upper bound of the record's size in a Kafka record batch, from {@link recordSizeBound}. */
  bytes: number;
}

/** What to do with a claimed batch: the records to send, and the rows that are dead without sending. */
export interface BatchPlan {
  records: PlannedRecord[];
  dead: DeadMessage[];
}

// Kafka's record batch v2: a 61-byte batch header, then per record the length, attributes, timestamp delta,
// offset delta, key and value lengths and header count (varints of at most 5 bytes, the timestamp a varlong of
// at most 10), and per header its key and value lengths. Upper bounds, so a record that passes fits.
const batchOverheadBytes = 61;
const recordOverheadBytes = 5 + 1 + 10 + 5 + 5 + 5 + 5;
const headerOverheadBytes = 5 + 5;

/**
 * An upper bound of the bytes a record takes in a Kafka record batch (v2), without the batch header.
 *
 * @param record - the record's key, value and string headers
 */
export function recordSizeBound(record: Pick<PlannedRecord['record'], 'key' | 'value' | 'headers'>): number {
  let bytes = recordOverheadBytes + Buffer.byteLength(record.key) + Buffer.byteLength(record.value);
  for (const [name, value] of Object.entries(record.headers)) {
    bytes += headerOverheadBytes + Buffer.byteLength(name) + Buffer.byteLength(value);
  }
  return bytes;
}

/**
 * Whether a record of `bytes` (from {@link recordSizeBound}) fits a batch of its own under the broker's
 * `message.max.bytes`.
 */
export function fitsMessageLimit(bytes: number, maxMessageBytes: number): boolean {
  return batchOverheadBytes + bytes <= maxMessageBytes;
}

/**
 * Builds the record of one outbox row, or says why the row can never be consumed correctly.
 *
 * The key is the aggregate id (the user id), the value the payload text as stored (behind the Confluent wire
 * format's header when `schemaId` is given), and the headers carry the payload's batch id and fetch time, the
 * event type and the outbox id. A payload that is not a valid
 * `UserCreated`, or whose `id` differs from the row's aggregate id, is dead: retrying cannot fix it, and a
 * consumer that validates would only dead-letter it later.
 *
 * @param message - the claimed outbox row
 * @param schemaId - the registry id of the value's schema, when a Schema Registry is configured
 */
export function buildRecord(
  message: OutboxMessage,
  schemaId?: number,
): { ok: true; record: PlannedRecord } | { ok: false; dead: DeadMessage } {
  const where = `outbox row ${message.id} payload`;
  let json: unknown;
  try {
    json = JSON.parse(message.payload);
  } catch {
    return { ok: false, dead: { id: message.id, error: `invalid ${where}: not JSON` } };
  }
  const checked = check(userCreatedSchema, json, where);
  if (!checked.ok) return { ok: false, dead: { id: message.id, error: checked.error.message } };
  const value = checked.value;
  if (value.id !== message.aggregateId) {
    return {
      ok: false,
      dead: {
        id: message.id,
        error: `invalid ${where}: id ${value.id} differs from aggregateid ${message.aggregateId}`,
      },
    };
  }
  const record = {
    key: message.aggregateId,
    value: schemaId === undefined ? message.payload : frameValue(schemaId, message.payload),
    headers: {
      [headerNames.batchId]: value.batchId,
      [headerNames.fetchedAt]: value.fetchedAt,
      [headerNames.eventType]: message.type,
      [headerNames.outboxId]: message.id,
    },
  };
  return { ok: true, record: { outboxId: message.id, record, bytes: recordSizeBound(record) } };
}

/**
 * Decides, before anything is sent, which rows of a claimed batch go to Kafka and which are dead: invalid
 * payloads, and records over the broker's message size limit, which would otherwise block the queue forever.
 *
 * @param messages - the claimed rows, oldest first
 * @param maxMessageBytes - the broker's `message.max.bytes` (or a little less)
 * @param schemaId - the registry id of the value's schema, when values go in the wire format
 */
export function planBatch(
  messages: readonly OutboxMessage[],
  maxMessageBytes: number,
  schemaId?: number,
): BatchPlan {
  const plan: BatchPlan = { records: [], dead: [] };
  for (const message of messages) {
    const built = buildRecord(message, schemaId);
    if (!built.ok) plan.dead.push(built.dead);
    else if (!fitsMessageLimit(built.record.bytes, maxMessageBytes)) {
      plan.dead.push({
        id: message.id,
        error: `record too large for Kafka: about ${batchOverheadBytes + built.record.bytes} bytes, over the limit of ${maxMessageBytes} bytes`,
      });
    } else plan.records.push(built.record);
  }
  return plan;
}

/**
 * Groups records, in order, into requests whose records together fit one batch under `maxMessageBytes`.
 * The producer writes one batch per partition, each a subset of its request, so no batch can exceed the
 * limit however the keys spread. Every record must fit on its own (see {@link planBatch}).
 */
export function chunkRecords(records: readonly PlannedRecord[], maxMessageBytes: number): PlannedRecord[][] {
  const { packs, oversized } = packBySize(records, (record) => record.bytes, {
    maxBytes: maxMessageBytes,
    baseBytes: batchOverheadBytes,
  });
  if (oversized.length > 0) {
    throw new RangeError(`${oversized.length} records are over ${maxMessageBytes} bytes on their own`);
  }
  return packs;
}

/** Why the relay stopped claiming batches. */
export type StopReason = 'empty' | 'time';

/**
 * The loop policy: stop when the last batch came back smaller than the limit (the outbox has no more
 * unclaimed rows), or when less than the margin remains of the invocation's time; otherwise claim again.
 *
 * @param input.claimed - rows claimed by the last batch; undefined before the first
 */
export function nextStep(input: {
  claimed: number | undefined;
  limit: number;
  remainingMs: number;
  marginMs: number;
}): 'continue' | StopReason {
  if (input.claimed !== undefined && input.claimed < input.limit) return 'empty';
  if (input.remainingMs < input.marginMs) return 'time';
  return 'continue';
}

/** What started a run, for the log; any trigger means "drain the outbox". */
export type Trigger =
  | { kind: 'users-stored'; batchId: string; count: number }
  | { kind: 'schedule'; time: string | undefined }
  | { kind: 'other' };

const eventEnvelopeSchema = z.object({
  'detail-type': z.string(),
  time: z.string().optional(),
  detail: z.unknown(),
});

/** Names the trigger of a run from its event; never throws, since the content does not change the work. */
export function describeTrigger(event: unknown): Trigger {
  const envelope = eventEnvelopeSchema.safeParse(event);
  if (!envelope.success) return { kind: 'other' };
  const detailType = envelope.data['detail-type'];
  if (detailType === detailTypes.usersStored) {
    const detail = usersStoredSchema.safeParse(envelope.data.detail);
    return detail.success
      ? { kind: 'users-stored', batchId: detail.data.batchId, count: detail.data.count }
      : { kind: 'other' };
  }
  if (detailType === 'Scheduled Event') return { kind: 'schedule', time: envelope.data.time };
  return { kind: 'other' };
}
