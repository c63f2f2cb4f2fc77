/**
 * The pure part of sink-users: from the records of a Kafka event to the `created_users` rows to write and
 * the records to reject, and from a failed record to its dead-letter record. No I/O, no clock: the failure
 * time is an argument.
 */

import type { PipelineError } from '../../lib/errors.ts';
import { ValidationError } from '../lib/errors.ts';
import type { OutgoingRecord } from '../lib/kafka.ts';
import { headerBytes, type KafkaEventRecord, recordRef } from '../lib/kafka-event.ts';
import {
  type CreatedUserRow,
  deadLetterHeaders,
  toCreatedUserRow,
  type UserCreated,
  userCreatedSchema,
} from '../lib/users-created.ts';
import { type Checked, check } from '../lib/validate.ts';
import { readValue, wireHeaderBytes } from '../lib/wire-format.ts';

/** A row to write, with the record it came from. */
export interface PlannedRow {
  row: CreatedUserRow;
  record: KafkaEventRecord;
}

/** A record that can never be written, and why. */
export interface FailedRecord {
  record: KafkaEventRecord;
  error: PipelineError;
}

/** What to do with a batch: the rows to upsert and the records to dead-letter. */
export interface SinkPlan {
  /** One row per user id, in the order of the batch (partition by partition, by offset). */
  rows: PlannedRow[];
  /** Records whose value is missing or invalid, each with a {@link ValidationError}. */
  rejected: Array<FailedRecord & { error: ValidationError }>;
  /** Valid records left out because a record with a higher offset carries the same id. */
  duplicates: number;
}

/** Codes of the {@link ValidationError}s a record's value can fail with. */
export const rejectionCodes = {
  missing: 'VALUE_MISSING',
  notBase64: 'VALUE_NOT_BASE64',
  notUtf8: 'VALUE_NOT_UTF8',
  notJson: 'VALUE_NOT_JSON',
  invalid: 'VALUE_INVALID',
  /** Starts with the wire format's magic byte 0, but its header is cut short. */
  framing: 'VALUE_FRAMING_INVALID',
  /** Carries a schema id that is no version of the topic's subject in the registry. */
  unknownSchema: 'VALUE_SCHEMA_UNKNOWN',
  /** Decoded by the event source from a format other than JSON (Avro, Protobuf). */
  unsupportedFormat: 'VALUE_FORMAT_UNSUPPORTED',
} as const;

/**
 * What the registry said of the schema ids of a batch: for each id that {@link schemaIdsOf} listed, its
 * version in the topic's subject, or `undefined` when it is none. The sink builds it only when a registry is
 * configured; without one, ids are not checked and the JSON alone is validated.
 */
export type KnownSchemaIds = ReadonlyMap<number, number | undefined>;

// Base64 characters that hold the wire format's 5-byte header, rounded up to whole quads (6 bytes).
const headerBase64Chars = Math.ceil(wireHeaderBytes / 3) * 4;
const numericId = /^[1-9]\d{0,9}$/;

/** The registry id a record carries, in the wire format or in the event source's schema metadata. */
function schemaIdOf(record: KafkaEventRecord): number | undefined {
  const metadata = record.valueSchemaMetadata;
  if (metadata !== undefined) {
    const id = metadata.schemaId;
    return id !== undefined && numericId.test(id) ? Number(id) : undefined;
  }
  if (typeof record.value !== 'string' || !record.value.startsWith('A')) return undefined;
  // Only the header is decoded here; the whole value is decoded once, by the plan.
  const framing = readValue(Buffer.from(record.value.slice(0, headerBase64Chars), 'base64'));
  return framing.format === 'confluent' ? framing.schemaId : undefined;
}

/**
 * The distinct schema ids the records of a batch carry (wire-format values, and the event source's
 * `valueSchemaMetadata` when it is a Confluent registry's number), for the sink to ask the registry about
 * before {@link planSink}.
 */
export function schemaIdsOf(records: readonly KafkaEventRecord[]): number[] {
  const ids = new Set<number>();
  for (const record of records) {
    const id = schemaIdOf(record);
    if (id !== undefined) ids.add(id);
  }
  return [...ids];
}

// Canonical padded base64: the alphabet, at most two '=' at the end, and a length that is a multiple of 4.
// Together these say the same as one pattern of quads ending in `xx==` or `xxx=`, but a plain character class
// scans a 1.5 KB value several times faster than a repeated group (measured by the benchmark).
const base64Chars = /^[A-Za-z0-9+/]*={0,2}$/;
const isBase64 = (value: string) => value.length % 4 === 0 && base64Chars.test(value);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes and validates the records of a batch and plans the writes.
 *
 * A record's value must be base64 of UTF-8 JSON that matches `userCreatedSchema`: plain, in the Confluent wire
 * format (magic byte 0 and a schema id, which must be a known version of the topic's subject), or as an
 * event source with a schema registry delivers it (the JSON without the header, its id and format in
 * `valueSchemaMetadata`). Anything else is rejected with a {@link ValidationError} saying what and where
 * (`invalid users_created-3@42 value: not JSON`, or every failing path of the schema) and coded with one of
 * {@link rejectionCodes}. When several valid records carry the same id, the one with the highest offset is
 * kept (the later one on a tie), so a batch writes each row once and the newest version wins.
 *
 * @param records - the records of one event, in delivery order
 * @param schemaIds - the registry's answer for every id of {@link schemaIdsOf}; unset when no registry is
 *   configured, and then ids are not checked (the JSON still is)
 */
export function planSink(records: readonly KafkaEventRecord[], schemaIds?: KnownSchemaIds): SinkPlan {
  const rejected: SinkPlan['rejected'] = [];
  // Keyed by id, remembering each record's position so the kept rows stay in batch order.
  const latest = new Map<string, PlannedRow & { position: number }>();
  let duplicates = 0;

  records.forEach((record, position) => {
    const decoded = decodeValue(record, schemaIds);
    if (!decoded.ok) {
      rejected.push({ record, error: decoded.error });
      return;
    }
    const row = toCreatedUserRow(decoded.value.user);
    const seen = latest.get(row.id);
    if (seen !== undefined) {
      duplicates++;
      if (seen.record.offset > record.offset) return;
    }
    latest.set(row.id, { row, record, position });
  });

  const rows = [...latest.values()]
    .sort((a, b) => a.position - b.position)
    .map(({ row, record }) => ({ row, record }));
  return { rows, rejected, duplicates };
}

type Decoded = Checked<UserCreated>;

/**
 * base64 → the payload (plain JSON, the wire format with a known id, or the event source's decoded value) →
 * UTF-8 → JSON → `userCreatedSchema`, with the first step that fails named in the error.
 */
function decodeValue(record: KafkaEventRecord, schemaIds: KnownSchemaIds | undefined): Decoded {
  const where = `${recordRef(record)} value`;
  const reject = (code: string, problem: string, cause?: unknown): Decoded => ({
    ok: false,
    error: new ValidationError(`invalid ${where}: ${problem}`, where, { code, cause }),
  });
  const unknown = (id: number, how: string) =>
    reject(
      rejectionCodes.unknownSchema,
      `${how} schema id ${id}, which is no version of the topic's subject in the Schema Registry`,
    );

  const { value, valueSchemaMetadata: metadata } = record;
  if (value === undefined || value === null || value === '') return reject(rejectionCodes.missing, 'missing');
  if (!isBase64(value)) return reject(rejectionCodes.notBase64, 'not base64');
  let payload: Buffer = Buffer.from(value, 'base64');
  if (metadata !== undefined) {
    // The event source validated the value against its registry and took the header off.
    if (metadata.dataFormat !== 'JSON') {
      return reject(
        rejectionCodes.unsupportedFormat,
        `decoded by the event source from ${metadata.dataFormat}; the contract is JSON`,
      );
    }
    const id = schemaIdOf(record);
    if (id !== undefined && schemaIds !== undefined && schemaIds.get(id) === undefined) {
      return unknown(id, 'the event source names');
    }
  } else {
    const framing = readValue(payload);
    if (framing.format === 'broken') return reject(rejectionCodes.framing, framing.problem);
    if (framing.format === 'confluent') {
      if (schemaIds !== undefined && schemaIds.get(framing.schemaId) === undefined) {
        return unknown(framing.schemaId, 'in the wire format with');
      }
      payload = framing.payload;
    }
  }
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch (error) {
    return reject(rejectionCodes.notUtf8, 'not UTF-8', error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // Not the parser's message: V8 quotes the start of the input in it, and the input may be a user record.
    return reject(rejectionCodes.notJson, 'not JSON', error);
  }
  // The schema strips unknown keys, so a JSON `__proto__` key (an own property after JSON.parse) never
  // reaches the row, and nothing here assigns keys from the input onto objects.
  const checked = check(userCreatedSchema, json, where);
  if (checked.ok) return checked;
  const { message, cause } = checked.error;
  return { ok: false, error: new ValidationError(message, where, { code: rejectionCodes.invalid, cause }) };
}

/**
 * Builds the dead-letter record of a failed record: the original key and value bytes, the original headers
 * (except earlier `dlq.*` ones, so a re-driven record describes its latest failure only) and the
 * `dlq.*` headers of {@link deadLetterHeaders}.
 *
 * `dlq.attempts` is always 1: the function sees one delivery and cannot know how often the event source
 * retried the batch before; a record is dead-lettered only for failures that no retry can fix.
 *
 * @param failed - the record and its error; `dlq.error.type` is the error's `code`
 * @param failedAt - when the failure was decided
 */
export function toDeadLetter(failed: FailedRecord, failedAt: Date): OutgoingRecord {
  const { record, error } = failed;
  const original = Object.entries(headerBytes(record)).filter(([name]) => !name.startsWith('dlq.'));
  return {
    key: record.key === undefined || record.key === null ? null : Buffer.from(record.key, 'base64'),
    value: record.value === undefined || record.value === null ? null : Buffer.from(record.value, 'base64'),
    headers: Object.fromEntries([
      ...original,
      [deadLetterHeaders.errorType, error.code],
      [deadLetterHeaders.errorMessage, error.message],
      [deadLetterHeaders.sourceTopic, record.topic],
      [deadLetterHeaders.sourcePartition, String(record.partition)],
      [deadLetterHeaders.sourceOffset, String(record.offset)],
      [deadLetterHeaders.attempts, '1'],
      [deadLetterHeaders.failedAt, failedAt.toISOString()],
    ]),
  };
}
