import { kafkaConsumer, SchemaType } from '@aws-lambda-powertools/kafka';
import {
  KafkaMskEventSchema,
  KafkaSelfManagedEventSchema,
} from '@aws-lambda-powertools/parser/schemas/kafka';
import type { Context, MSKEvent, MSKRecord, SelfManagedKafkaEvent, SelfManagedKafkaRecord } from 'aws-lambda';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { baseTimestamp, sourceRecord, sourceRecords } from '../../test/helpers/source-records.ts';
import {
  buildEvent,
  type EventRecord,
  envelopeBytes,
  eventOfRecords,
  type KafkaEvent,
  nextBatchLength,
  partitionKey,
  RecordTooLargeForPayloadError,
  recordJsonBytes,
  type SourceRecord,
  toEventRecord,
} from './event.ts';
import { awsLimits } from './options.ts';

const selfManaged = { eventSource: 'SelfManagedKafka', bootstrapServers: 'a:9092,b:9092' } as const;
const mskArn = 'arn:aws:kafka:eu-west-1:123456789012:cluster/pipeline/abcd1234-abcd-cafe-abab-9876543210ab-4';
const msk = { eventSource: 'aws:kafka', eventSourceArn: mskArn, bootstrapServers: 'a:9092' } as const;

/** What the function receives: the event after a trip through JSON, as the Invoke API carries it. */
function overTheWire(event: KafkaEvent): unknown {
  return JSON.parse(JSON.stringify(event));
}

function bytesOf(event: KafkaEvent): number {
  return Buffer.byteLength(JSON.stringify(event));
}

describe('partitionKey', () => {
  it('names a partition "topic-partition", dashes in the topic included', () => {
    expect(partitionKey({ topic: 'users-created', partition: 12 })).toBe('users-created-12');
  });
});

describe('toEventRecord', () => {
  it('encodes key and value in base64 and keeps the metadata', () => {
    const record = sourceRecord({
      offset: 42,
      partition: 3,
      timestampType: 'LOG_APPEND_TIME',
      key: Buffer.from('user-42'),
      value: Buffer.from('{"id":42}'),
    });

    expect(toEventRecord(record)).toEqual({
      topic: 'users_created',
      partition: 3,
      offset: 42,
      timestamp: baseTimestamp,
      timestampType: 'LOG_APPEND_TIME',
      key: Buffer.from('user-42').toString('base64'),
      value: Buffer.from('{"id":42}').toString('base64'),
      headers: [],
    });
  });

  it('leaves out a null key and a null value', () => {
    const event = toEventRecord(sourceRecord({ key: null, value: null }));

    expect(event).not.toHaveProperty('key');
    expect(event).not.toHaveProperty('value');
  });

  it('keeps an empty key and value as empty strings, which are not null', () => {
    const event = toEventRecord(sourceRecord({ key: Buffer.alloc(0), value: Buffer.alloc(0) }));

    expect(event.key).toBe('');
    expect(event.value).toBe('');
  });

  it('gives each header its own object of unsigned bytes, in order, repeated names included', () => {
    const record = sourceRecord({
      headers: [
        ['trace', Buffer.from('ab')],
        ['bin', Buffer.from([0, 127, 128, 255])],
        ['trace', Buffer.from('c')],
        ['__proto__', Buffer.from('x')],
      ],
    });

    const { headers } = toEventRecord(record);

    expect(headers).toEqual([
      { trace: [97, 98] },
      { bin: [0, 127, 128, 255] },
      { trace: [99] },
      expect.any(Object),
    ]);
    expect(Object.keys(headers[3] ?? {})).toEqual(['__proto__']);
    expect(JSON.stringify(headers[3])).toBe('{"__proto__":[120]}');
  });
});

describe('buildEvent', () => {
  it('groups records by "topic-partition" in the order given', () => {
    const records = [
      sourceRecord({ partition: 1, offset: 5 }),
      sourceRecord({ partition: 0, offset: 7 }),
      sourceRecord({ partition: 1, offset: 6 }),
    ];

    const event = buildEvent(selfManaged, records);

    expect(Object.keys(event.records)).toEqual(['users_created-1', 'users_created-0']);
    expect(event.records['users_created-1']?.map((r) => r.offset)).toEqual([5, 6]);
    expect(event.records['users_created-0']?.map((r) => r.offset)).toEqual([7]);
  });

  it('builds a SelfManagedKafka event without an eventSourceArn', () => {
    const event = buildEvent({ ...selfManaged, eventSourceArn: 'ignored' }, [sourceRecord()]);

    expect(event.eventSource).toBe('SelfManagedKafka');
    expect(event.bootstrapServers).toBe('a:9092,b:9092');
    expect(event).not.toHaveProperty('eventSourceArn');
  });

  it('groups records already in AWS’s shape (eventOfRecords) as it groups fetched ones', () => {
    const records = [sourceRecord({ partition: 2, offset: 1 }), sourceRecord({ offset: 3, key: null })];

    const event = eventOfRecords(msk, records.map(toEventRecord));

    expect(event).toEqual(buildEvent(msk, records));
    expect(Object.keys(event.records)).toEqual(['users_created-2', 'users_created-0']);
  });

  it('builds an aws:kafka event with the cluster ARN for MSK', () => {
    const event = buildEvent(msk, [sourceRecord()]);

    expect(event).toMatchObject({
      eventSource: 'aws:kafka',
      eventSourceArn: mskArn,
      bootstrapServers: 'a:9092',
    });
  });

  it('parses with the Powertools parser’s self-managed Kafka schema', () => {
    const records = [
      sourceRecord({ offset: 1, headers: [['h', Buffer.from('hv')]] }),
      sourceRecord({ offset: 2, key: null }),
    ];

    const parsed = KafkaSelfManagedEventSchema.parse(overTheWire(buildEvent(selfManaged, records)));

    expect(parsed.bootstrapServers).toEqual(['a:9092', 'b:9092']);
    const [first, second] = parsed.records['users_created-0'] ?? [];
    expect(first).toMatchObject({ offset: 1, key: 'user-1', value: '{"n":1}', headers: [{ h: 'hv' }] });
    expect(second).toMatchObject({ offset: 2, value: '{"n":2}' });
    expect(second?.key).toBeUndefined();
  });

  it('parses with the Powertools parser’s MSK schema', () => {
    const parsed = KafkaMskEventSchema.parse(overTheWire(buildEvent(msk, sourceRecords(2))));

    expect(parsed.eventSourceArn).toBe(mskArn);
    expect(parsed.records['users_created-0']?.map((r) => r.value)).toEqual(['{"n":0}', '{"n":1}']);
  });

  it('goes through the Powertools Kafka consumer, which decodes JSON values and text headers', async () => {
    const valueSchema = z.object({ n: z.number() });
    const seen: Array<{ key: unknown; value: unknown; headers: unknown }> = [];
    const handler = kafkaConsumer<string, z.infer<typeof valueSchema>>(
      async (event) => {
        for (const record of event.records) {
          seen.push({ key: record.key, value: record.value, headers: record.headers });
        }
      },
      { value: { type: SchemaType.JSON, parserSchema: valueSchema } },
    );
    const records = [
      sourceRecord({ offset: 7, headers: [['source', Buffer.from('test')]] }),
      sourceRecord({ offset: 8 }),
    ];

    await handler(JSON.parse(JSON.stringify(buildEvent(msk, records))), lambdaContext());

    expect(seen).toEqual([
      { key: 'user-7', value: { n: 7 }, headers: [{ source: 'test' }] },
      { key: 'user-8', value: { n: 8 }, headers: [] },
    ]);
  });

  it('has records and events assignable to @types/aws-lambda’s when key and value are present', () => {
    type WithKeyAndValue = EventRecord & { key: string; value: string };
    type Grouped = { records: Record<string, WithKeyAndValue[]> };
    type SelfManagedEvent = Omit<Extract<KafkaEvent, { eventSource: 'SelfManagedKafka' }>, 'records'> &
      Grouped;
    type MskEvent = Omit<Extract<KafkaEvent, { eventSource: 'aws:kafka' }>, 'records'> & Grouped;

    expectTypeOf<WithKeyAndValue>().toExtend<SelfManagedKafkaRecord>();
    expectTypeOf<WithKeyAndValue>().toExtend<MSKRecord>();
    expectTypeOf<SelfManagedEvent>().toExtend<SelfManagedKafkaEvent>();
    expectTypeOf<MskEvent>().toExtend<MSKEvent>();
    // @types/aws-lambda has no tombstones: a record that may lack its key or value is not one of its records.
    expectTypeOf<EventRecord>().not.toExtend<SelfManagedKafkaRecord>();

    const record = toEventRecord(sourceRecord());
    expect(typeof record.key).toBe('string');
    expect(typeof record.value).toBe('string');
  });
});

describe('recordJsonBytes and envelopeBytes', () => {
  it('add up to the serialized event, plus one for the first record’s missing comma', () => {
    const records = [
      sourceRecord({ offset: 1, value: Buffer.from('é'.repeat(50)) }),
      sourceRecord({ offset: 2, headers: [['h', Buffer.from([1, 2, 3])]] }),
      sourceRecord({ offset: 3, key: null }),
    ];

    const estimate =
      envelopeBytes(msk, 'users_created', 0) + records.reduce((sum, r) => sum + recordJsonBytes(r), 0);

    expect(estimate).toBe(bytesOf(buildEvent(msk, records)) + 1);
  });

  it('counts exactly what JSON.stringify writes, for keys, values and headers of every length and byte', () => {
    // Lengths 0 to 7 cover every base64 padding; bytes 0 to 255 every digit count; names need escaping.
    const bytes = (n: number, seed: number) =>
      Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + seed) % 256));
    const names = ['h', 'dlq.error.message', 'quote"and\\slash', 'ünïcödé', '\u0001ctl'];
    for (let n = 0; n < 8; n++) {
      for (const [i, name] of names.entries()) {
        const record = sourceRecord({
          topic: `t.${n}-x`,
          partition: n,
          offset: 10 ** n,
          key: n % 3 === 0 ? null : bytes(n, i),
          value: n % 4 === 1 ? null : bytes(n * 41, i + 7),
          headers: Array.from({ length: n % 4 }, (_, h) => [name, bytes(n * 5 + h, h)] as [string, Buffer]),
        });
        expect(recordJsonBytes(record), `${n} ${name}`).toBe(
          Buffer.byteLength(JSON.stringify(toEventRecord(record))) + 1,
        );
      }
    }
  });

  it('count the schema metadata a registry-validated record carries', () => {
    const record = sourceRecord({
      keySchemaMetadata: { dataFormat: 'JSON', schemaId: '7' },
      valueSchemaMetadata: { dataFormat: 'JSON', schemaId: '1234' },
    });

    expect(toEventRecord(record)).toMatchObject({
      valueSchemaMetadata: { dataFormat: 'JSON', schemaId: '1234' },
    });
    expect(recordJsonBytes(record)).toBe(Buffer.byteLength(JSON.stringify(toEventRecord(record))) + 1);
    expect(recordJsonBytes({ ...record, keySchemaMetadata: undefined })).toBe(
      Buffer.byteLength(JSON.stringify(toEventRecord({ ...record, keySchemaMetadata: undefined }))) + 1,
    );
  });

  it('count the envelope of an event with one empty group', () => {
    expect(envelopeBytes(selfManaged, 'users_created', 2)).toBe(
      Buffer.byteLength(
        '{"eventSource":"SelfManagedKafka","bootstrapServers":"a:9092,b:9092","records":{"users_created-2":[]}}',
      ),
    );
  });
});

describe('nextBatchLength', () => {
  const base = envelopeBytes(selfManaged, 'users_created', 0);

  it('returns 0 for no records', () => {
    expect(nextBatchLength([], 100, awsLimits.payloadBytes, base)).toBe(0);
  });

  it('takes at most batchSize records', () => {
    expect(nextBatchLength(sourceRecords(10), 3, awsLimits.payloadBytes, base)).toBe(3);
    expect(nextBatchLength(sourceRecords(2), 3, awsLimits.payloadBytes, base)).toBe(2);
  });

  it('takes every record whose event fits the limit exactly, and not one more', () => {
    const records = sourceRecords(5);
    const threeExactly = bytesOf(buildEvent(selfManaged, records.slice(0, 3)));

    expect(nextBatchLength(records, 100, threeExactly, base)).toBe(3);
    expect(nextBatchLength(records, 100, threeExactly - 1, base)).toBe(2);
  });

  it('sizes the records with the size given, once each, so a cache of the sizes is used as it is', () => {
    const records = sourceRecords(5);
    const threeExactly = bytesOf(buildEvent(selfManaged, records.slice(0, 3)));
    const asked: SourceRecord[] = [];
    const cached = (record: SourceRecord) => {
      asked.push(record);
      return recordJsonBytes(record);
    };

    expect(nextBatchLength(records, 100, threeExactly, base, cached)).toBe(3);
    expect(asked.slice(0, 3)).toEqual(records.slice(0, 3));
    expect(new Set(asked).size).toBe(asked.length);
  });

  it('keeps the real 6 MB payload limit with records of about 1 MB', () => {
    const records = sourceRecords(7, 0, { value: Buffer.alloc(1024 * 1024, 'x') });

    const n = nextBatchLength(records, 100, awsLimits.payloadBytes, base);

    expect(awsLimits.payloadBytes).toBe(6 * 1024 * 1024);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(7);
    expect(bytesOf(buildEvent(selfManaged, records.slice(0, n)))).toBeLessThanOrEqual(6 * 1024 * 1024);
    expect(bytesOf(buildEvent(selfManaged, records.slice(0, n + 1)))).toBeGreaterThan(6 * 1024 * 1024);
  });

  it('throws RecordTooLargeForPayloadError when the first record alone is over the limit', () => {
    const big = sourceRecord({ offset: 9, value: Buffer.alloc(5 * 1024 * 1024) });
    const after = sourceRecord({ offset: 10 });

    let thrown: unknown;
    try {
      nextBatchLength([big, after], 100, awsLimits.payloadBytes, base);
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(RecordTooLargeForPayloadError);
    if (!(thrown instanceof RecordTooLargeForPayloadError)) return;
    expect(thrown.name).toBe('RecordTooLargeForPayloadError');
    expect(thrown.record).toBe(big);
    expect(thrown.limit).toBe(awsLimits.payloadBytes);
    expect(thrown.bytes).toBe(bytesOf(buildEvent(selfManaged, [big])));
    expect(thrown.message).toContain('users_created-0@9');
  });

  it('stops before an oversized record that is not first, leaving it for the next batch', () => {
    const records = [
      sourceRecord({ offset: 1 }),
      sourceRecord({ offset: 2, value: Buffer.alloc(5 * 1024 * 1024) }),
    ];

    expect(nextBatchLength(records, 100, awsLimits.payloadBytes, base)).toBe(1);
  });
});

function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'sinkUsers',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:sinkUsers',
    memoryLimitInMB: '1024',
    awsRequestId: 'request-1',
    logGroupName: '/aws/lambda/sinkUsers',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
