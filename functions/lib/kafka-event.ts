/**
 * The event that AWS Lambda's Kafka event-source mapping (self-managed Kafka or MSK), and the local emulation
 * of it, delivers to a function: records grouped by `"<topic>-<partition>"`, with base64 keys and values and
 * headers as byte arrays. Only the envelope is checked here; what a record's value means is up to the
 * function, so a record with a missing value still parses and the function rejects it on its own.
 */
import { z } from 'zod';
import { parse } from './validate.ts';

const nonNegativeInt = z.number().int().min(0);

/**
 * One header as AWS sends it: `{ "<name>": [bytes] }`. Java's bytes are signed, so values from -128 to 255
 * are accepted and read modulo 256.
 */
// One loop per header value rather than a schema per byte: a record's headers hold a few hundred bytes, and
// checking each through zod was the largest single cost of parsing an event (about half of it, measured by
// the benchmark). The check is the same: integers from -128 (Java's signed bytes) to 255.
const isByte = (b: unknown) => Number.isInteger(b) && (b as number) >= -128 && (b as number) <= 255;
const headerBytesSchema = z.custom<number[]>(
  (value) => Array.isArray(value) && value.every(isByte),
  'expected an array of bytes (integers from -128 to 255)',
);
const headerSchema = z.record(z.string(), headerBytesSchema);

/**
 * What an event source with a schema registry says of a key or value it validated (`keySchemaMetadata`,
 * `valueSchemaMetadata`): its data format (`JSON`, `AVRO`, `PROTOBUF`) and the schema's id in the registry (a
 * Confluent registry's number, as a string, or a Glue schema version's UUID). The value itself is then the
 * payload without the wire format's header, as JSON (`EventRecordFormat` `JSON`) or its source bytes
 * (`SOURCE`), which for a JSON Schema are the same text.
 */
export const schemaMetadataSchema = z.object({
  dataFormat: z.string().min(1),
  schemaId: z.string().min(1).optional(),
});
export type SchemaMetadata = z.output<typeof schemaMetadataSchema>;

/** One record of a Kafka event. `key` and `value` are base64; either may be absent (a tombstone has no value). */
export const kafkaEventRecordSchema = z.object({
  topic: z.string().min(1),
  partition: nonNegativeInt,
  offset: nonNegativeInt,
  timestamp: z.number(),
  timestampType: z.string(),
  key: z.string().nullish(),
  value: z.string().nullish(),
  headers: z.array(headerSchema).default([]),
  keySchemaMetadata: schemaMetadataSchema.optional(),
  valueSchemaMetadata: schemaMetadataSchema.optional(),
});
export type KafkaEventRecord = z.output<typeof kafkaEventRecordSchema>;

const recordsSchema = z
  .record(z.string().regex(/^.+-\d+$/, 'expected "<topic>-<partition>"'), z.array(kafkaEventRecordSchema))
  .superRefine((records, ctx) => {
    for (const [group, list] of Object.entries(records)) {
      list.forEach((record, i) => {
        if (`${record.topic}-${record.partition}` !== group) {
          ctx.addIssue({
            code: 'custom',
            message: `record of ${record.topic}-${record.partition} filed under ${group}`,
            path: [group, i],
          });
        }
      });
    }
  });

const common = { bootstrapServers: z.string().min(1), records: recordsSchema };

/** The envelope of a Kafka event, from self-managed Kafka or from MSK (which names its cluster). */
export const kafkaEventSchema = z.discriminatedUnion('eventSource', [
  z.object({ eventSource: z.literal('SelfManagedKafka'), ...common }),
  z.object({ eventSource: z.literal('aws:kafka'), eventSourceArn: z.string().min(1), ...common }),
]);
export type KafkaEvent = z.output<typeof kafkaEventSchema>;

/**
 * Validates a Kafka event's envelope.
 *
 * @param input - the event as the function received it
 * @returns the event, with every record's envelope checked
 * @throws {@link ValidationError} naming every malformed field; the same event fails the same way again
 */
export function parseKafkaEvent(input: unknown): KafkaEvent {
  return parse(kafkaEventSchema, input, 'Kafka event');
}

/**
 * The records of an event in delivery order: partition by partition, each in offset order as the event
 * source sends them.
 */
export function eventRecords(event: KafkaEvent): KafkaEventRecord[] {
  return Object.values(event.records).flat();
}

/** `users_created-3@42`: where a record came from, for errors and logs. */
export function recordRef(record: Pick<KafkaEventRecord, 'topic' | 'partition' | 'offset'>): string {
  return `${record.topic}-${record.partition}@${record.offset}`;
}

/**
 * A record's headers as name → bytes. When a name repeats, the last value wins. Built with
 * `Object.fromEntries`, so a header named `__proto__` is an ordinary own property and changes no prototype.
 */
export function headerBytes(record: Pick<KafkaEventRecord, 'headers'>): Record<string, Buffer> {
  return Object.fromEntries(
    record.headers.flatMap((header) =>
      Object.entries(header).map(([name, bytes]) => [name, Buffer.from(bytes.map((b) => b & 0xff))] as const),
    ),
  );
}
