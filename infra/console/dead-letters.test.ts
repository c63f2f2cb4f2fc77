import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { frameValue } from '../../functions/lib/wire-format.ts';
import { deadLetterView, redriveRecord } from './dead-letters.ts';

const message = (
  headers: Record<string, string>,
  value: Buffer | null = Buffer.from('{"id":"u1"}'),
): KafkaMessage => ({
  key: Buffer.from('u1'),
  value,
  timestamp: '1767225600000',
  attributes: 0,
  offset: '7',
  headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
});

const dlqHeaders = {
  'batch-id': 'b1',
  'outbox-id': 'u1',
  'dlq.error.type': 'RECORD_INVALID',
  'dlq.error.message': 'user.email: Invalid email',
  'dlq.source.topic': 'users_created',
  'dlq.source.partition': '3',
  'dlq.source.offset': '42',
  'dlq.attempts': '1',
  'dlq.failed.at': '2026-01-01T00:00:00.000Z',
};

describe('deadLetterView', () => {
  it('reads what the dlq.* headers say', () => {
    const view = deadLetterView('users_created.dlq', 0, message(dlqHeaders));

    expect(view).toMatchObject({
      topic: 'users_created.dlq',
      partition: 0,
      offset: '7',
      key: 'u1',
      value: { kind: 'json', json: { id: 'u1' } },
      errorType: 'RECORD_INVALID',
      errorMessage: 'user.email: Invalid email',
      sourceTopic: 'users_created',
      sourcePartition: 3,
      sourceOffset: '42',
      attempts: 1,
      failedAt: '2026-01-01T00:00:00.000Z',
      redriven: false,
    });
  });

  it('says a record was re-driven before, and leaves out headers it lacks', () => {
    const view = deadLetterView('d', 0, message({ 'redriven-from': 'd-0@3' }));

    expect(view).toMatchObject({ redriven: true, errorType: null, sourcePartition: null, attempts: null });
  });
});

describe('redriveRecord', () => {
  const now = new Date('2026-02-01T00:00:00.000Z');

  it('goes back to its source topic with its key, value and own headers, and says where it came from', () => {
    const record = redriveRecord(
      {
        topic: 'users_created.dlq',
        partition: 0,
        message: message({ ...dlqHeaders, 'redriven-from': 'old', 'redriven-at': 'old' }),
      },
      { fallbackTopic: 'fallback', now },
    );

    expect(record.topic).toBe('users_created');
    expect(record.key?.toString()).toBe('u1');
    expect(record.value?.toString()).toBe('{"id":"u1"}');
    expect(Object.fromEntries(Object.entries(record.headers).map(([k, v]) => [k, v.toString()]))).toEqual({
      'batch-id': 'b1',
      'outbox-id': 'u1',
      'redriven-from': 'users_created.dlq-0@7',
      'redriven-at': '2026-02-01T00:00:00.000Z',
    });
  });

  it('sends the correction instead of the value, and goes to the fallback topic without a source header', () => {
    const record = redriveRecord(
      { topic: 'd', partition: 0, message: message({}, null) },
      { fallbackTopic: 'users_created', correction: '{"fixed":true}', now },
    );

    expect(record.topic).toBe('users_created');
    expect(record.value?.toString()).toBe('{"fixed":true}');
  });

  it('puts the wire-format header of the dead letter, with its schema id, back in front of a correction', () => {
    const framed = message({}, frameValue(7, '{"id":"broken"}'));

    const record = redriveRecord(
      { topic: 'd', partition: 0, message: framed },
      { fallbackTopic: 'users_created', correction: '{"id":"fixed"}', now },
    );

    expect(record.value).toEqual(frameValue(7, '{"id":"fixed"}'));
  });
});
