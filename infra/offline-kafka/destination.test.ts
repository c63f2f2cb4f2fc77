import { describe, expect, it } from 'vitest';
import { baseTimestamp, sourceRecord } from '../../test/helpers/source-records.ts';
import type { FailedBatch } from './batch.ts';
import { failureHeaders, toDestinationMessages } from './destination.ts';

const context = {
  functionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:svc-local-sinkUsers',
  bootstrapServers: '127.0.0.1:9092',
  failedAt: new Date('2024-06-01T12:00:00.000Z'),
};

const records = [
  sourceRecord({
    offset: 41,
    key: Buffer.from([0x00, 0xff, 0x10]),
    value: Buffer.from([0xde, 0xad, 0xbe, 0xef]),
    headers: [
      ['trace', Buffer.from('t1')],
      ['trace', Buffer.from('t2')],
      [failureHeaders.condition, Buffer.from('from the producer')],
    ],
  }),
  sourceRecord({ offset: 42, key: null, value: null, timestamp: baseTimestamp + 5_000 }),
];

const failed: FailedBatch = {
  records,
  condition: 'RetryAttemptsExhausted',
  approximateInvokeCount: 11,
  error: { errorType: 'ValidationError', errorMessage: 'bad user' },
};

function header(value: Buffer | Buffer[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((b) => b.toString());
}

describe('toDestinationMessages', () => {
  it('writes one message per failed record, keeping key and value byte for byte', () => {
    const messages = toDestinationMessages(failed, context);

    expect(messages).toHaveLength(2);
    expect(messages[0]?.key).toEqual(Buffer.from([0x00, 0xff, 0x10]));
    expect(messages[0]?.value).toEqual(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    expect(messages[1]?.key).toBeNull();
    expect(messages[1]?.value).toBeNull();
  });

  it('keeps the original headers first, repeated names included, and adds its own after them', () => {
    const [first] = toDestinationMessages(failed, context);
    const headers = first?.headers ?? {};

    expect(header(headers.trace)).toEqual(['t1', 't2']);
    expect(header(headers[failureHeaders.condition])).toEqual([
      'from the producer',
      'RetryAttemptsExhausted',
    ]);
    expect(Object.keys(headers)[0]).toBe('trace');
  });

  it('adds the failure headers', () => {
    const [, second] = toDestinationMessages(failed, context);
    const headers = second?.headers ?? {};

    expect(header(headers[failureHeaders.condition])).toEqual(['RetryAttemptsExhausted']);
    expect(header(headers[failureHeaders.invokeCount])).toEqual(['11']);
    expect(header(headers[failureHeaders.errorType])).toEqual(['ValidationError']);
    expect(header(headers[failureHeaders.errorMessage])).toEqual(['bad user']);
    expect(header(headers[failureHeaders.source])).toEqual(['users_created-0@42']);
    expect(header(headers[failureHeaders.functionArn])).toEqual([context.functionArn]);
    expect(header(headers[failureHeaders.timestamp])).toEqual(['2024-06-01T12:00:00.000Z']);
    // A header that occurs once is a single Buffer, as kafkajs takes it.
    expect(Buffer.isBuffer(headers[failureHeaders.condition])).toBe(true);
  });

  it('leaves out the error headers when there was no function error', () => {
    const [message] = toDestinationMessages(
      { records: [sourceRecord()], condition: 'RecordAgeExceeded', approximateInvokeCount: 0 },
      context,
    );

    expect(message?.headers).not.toHaveProperty(failureHeaders.errorType);
    expect(message?.headers).not.toHaveProperty(failureHeaders.errorMessage);
    const record = JSON.parse(header(message?.headers[failureHeaders.record])[0] ?? '{}');
    expect(record).not.toHaveProperty('responseContext');
    expect(record.requestContext).toMatchObject({
      condition: 'RecordAgeExceeded',
      approximateInvokeCount: 0,
    });
  });

  it('cuts a long error message to 4096 characters', () => {
    const [message] = toDestinationMessages(
      { ...failed, error: { errorType: 'Error', errorMessage: 'x'.repeat(10_000) } },
      context,
    );

    expect(header(message?.headers[failureHeaders.errorMessage])[0]).toHaveLength(4096);
  });

  it('adds the invocation record as JSON, with the condition, the invoke count and the Kafka batch', () => {
    const messages = toDestinationMessages(failed, context);
    const texts = messages.map((m) => header(m.headers[failureHeaders.record]));

    expect(texts[0]).toEqual(texts[1]);
    expect(JSON.parse(texts[0]?.[0] ?? '{}')).toEqual({
      version: '1.0',
      timestamp: '2024-06-01T12:00:00.000Z',
      requestContext: {
        functionArn: context.functionArn,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 11,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'ValidationError' },
      KafkaBatchInfo: {
        batchSize: 2,
        bootstrapServers: '127.0.0.1:9092',
        recordsInfo: {
          'users_created-0': {
            firstRecordOffset: '41',
            lastRecordOffset: '42',
            firstRecordTimestamp: new Date(baseTimestamp).toISOString(),
            lastRecordTimestamp: new Date(baseTimestamp + 5_000).toISOString(),
          },
        },
      },
    });
  });

  it('writes nothing for no records', () => {
    expect(toDestinationMessages({ ...failed, records: [] }, context)).toEqual([]);
  });
});
