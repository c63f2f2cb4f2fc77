import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { fixtureUsers } from '../../test/helpers/fixtures.ts';
import { kafkaEvent, kafkaRecord } from '../../test/helpers/kafka-records.ts';
import { sampleBatch } from '../../test/helpers/users-created.ts';
import { TransientError, ValidationError } from '../lib/errors.ts';
import type { OutgoingRecord, RecordSender } from '../lib/kafka.ts';
import { createLogger } from '../lib/logger.ts';
import { userSchema } from '../lib/schemas.ts';
import { type CreatedUserRow, deadLetterHeaders, userCreated } from '../lib/users-created.ts';
import { createHandler } from './app.ts';
import { CassandraWriteError, type UpsertOutcome, type UserSink } from './sink.ts';

const [alice, bob] = fixtureUsers().map((raw) => userSchema.parse(raw));
if (alice === undefined || bob === undefined) throw new Error('the fixture has fewer than two users');

const dlqTopic = 'users_created.dlq.test';
const now = new Date('2026-03-04T05:06:07.089Z');

/** A sink that records what it was asked to write and answers with `answer`. */
function fakeSink(answer: (rows: readonly CreatedUserRow[]) => Promise<UpsertOutcome>) {
  const calls: CreatedUserRow[][] = [];
  const sink: UserSink = {
    upsert: async (rows) => {
      calls.push([...rows]);
      return answer(rows);
    },
  };
  return { sink, calls };
}

const writesAll = async (rows: readonly CreatedUserRow[]): Promise<UpsertOutcome> => ({
  written: rows.length,
  failures: [],
});

/** A sender that records what it was asked to send, or fails with `failure`. */
function fakeSender(failure?: Error) {
  const sent: Array<{ topic: string; records: OutgoingRecord[] }> = [];
  const sender: RecordSender = {
    send: async (topic, records) => {
      if (failure) throw failure;
      sent.push({ topic, records: [...records] });
      return records.map((_, i) => ({ partition: 0, offset: String(i) }));
    },
    disconnect: async () => undefined,
  };
  return { sender, sent };
}

function setup(sink: UserSink, sender: RecordSender) {
  const logger = createLogger('sink-users', { level: 'SILENT', stage: 'local' });
  const warn = vi.spyOn(logger, 'warn');
  const info = vi.spyOn(logger, 'info');
  const handler = createHandler({
    config: { topics: { usersCreated: 'users_created', deadLetter: dlqTopic } },
    logger,
    sink,
    deadLetters: sender,
    now: () => now,
  });
  return { handler, warn, info };
}

const goodAndBad = kafkaEvent([
  kafkaRecord({ partition: 0, offset: 10, key: alice.login.uuid, value: userCreated(alice, sampleBatch) }),
  kafkaRecord({
    partition: 0,
    offset: 11,
    key: 'k-bad',
    value: 'not json at all',
    headers: { 'batch-id': 'b7' },
  }),
  kafkaRecord({ partition: 1, offset: 20, key: bob.login.uuid, value: userCreated(bob, sampleBatch) }),
]);

describe('sink-users handler', () => {
  it('writes the good records, dead-letters the bad one with its bytes and headers, and counts', async () => {
    const { sink, calls } = fakeSink(writesAll);
    const { sender, sent } = fakeSender();
    const { handler, warn, info } = setup(sink, sender);

    const result = await handler(goodAndBad);

    expect(result).toEqual({ received: 3, written: 2, deadLettered: 1, duplicates: 0 });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.map((row) => row.id)).toEqual([alice.login.uuid, bob.login.uuid]);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.topic).toBe(dlqTopic);
    const dead = sent[0]?.records[0];
    expect(dead?.key).toEqual(Buffer.from('k-bad'));
    expect(dead?.value).toEqual(Buffer.from('not json at all'));
    expect(dead?.headers).toMatchObject({
      'batch-id': Buffer.from('b7'),
      [deadLetterHeaders.errorType]: 'VALUE_NOT_JSON',
      [deadLetterHeaders.errorMessage]: 'invalid users_created-0@11 value: not JSON',
      [deadLetterHeaders.sourceTopic]: 'users_created',
      [deadLetterHeaders.sourcePartition]: '0',
      [deadLetterHeaders.sourceOffset]: '11',
      [deadLetterHeaders.attempts]: '1',
      [deadLetterHeaders.failedAt]: now.toISOString(),
    });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[1]).toMatchObject({ topic: 'users_created', partition: 0, offset: 11 });
    expect(JSON.stringify(warn.mock.calls)).not.toContain('not json at all');
    expect(info).toHaveBeenCalledWith('batch sunk', {
      received: 3,
      written: 2,
      deadLettered: 1,
      duplicates: 0,
      partitions: ['users_created-0', 'users_created-1'],
    });
    expect(JSON.stringify(info.mock.calls)).not.toContain(alice.email);
  });

  it('rejects with the transient error of the sink and dead-letters nothing', async () => {
    const { sink } = fakeSink(async () => {
      throw new TransientError('Cassandra is down', { code: 'CASSANDRA_NO_HOST_AVAILABLE' });
    });
    const { sender, sent } = fakeSender();
    const { handler } = setup(sink, sender);

    const outcome = handler(goodAndBad);

    await expect(outcome).rejects.toBeInstanceOf(TransientError);
    await expect(outcome).rejects.toMatchObject({ retryable: true });
    expect(sent).toEqual([]);
  });

  it('dead-letters a row the sink refused for good, with the original bytes and the error', async () => {
    const { sink } = fakeSink(async (rows) => ({
      written: rows.length - 1,
      failures: [
        {
          index: 1,
          id: bob.login.uuid,
          error: new CassandraWriteError('Cassandra refused the row: bad value', {
            code: 'CASSANDRA_INVALID',
          }),
        },
      ],
    }));
    const { sender, sent } = fakeSender();
    const { handler, warn } = setup(sink, sender);
    const bobValue = Buffer.from(JSON.stringify(userCreated(bob, sampleBatch)));

    const result = await handler(goodAndBad);

    expect(result).toEqual({ received: 3, written: 1, deadLettered: 2, duplicates: 0 });
    const records = sent.flatMap((s) => s.records);
    expect(records.map((r) => r.headers?.[deadLetterHeaders.sourceOffset])).toEqual(['11', '20']);
    const refused = records[1];
    expect(refused?.key).toEqual(Buffer.from(bob.login.uuid));
    expect(refused?.value).toEqual(bobValue);
    expect(refused?.headers).toMatchObject({
      [deadLetterHeaders.errorType]: 'CASSANDRA_INVALID',
      [deadLetterHeaders.errorMessage]: 'Cassandra refused the row: bad value',
      [deadLetterHeaders.sourcePartition]: '1',
      [deadLetterHeaders.attempts]: '1',
      [deadLetterHeaders.failedAt]: now.toISOString(),
    });
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it('rejects when the dead-letter send fails, so the batch is retried', async () => {
    const { sink } = fakeSink(writesAll);
    const { sender } = fakeSender(new TransientError('broker down', { code: 'KAFKA_SEND_FAILED' }));
    const { handler, info } = setup(sink, sender);

    await expect(handler(goodAndBad)).rejects.toMatchObject({ code: 'KAFKA_SEND_FAILED', retryable: true });
    expect(info).not.toHaveBeenCalled();
  });

  it('sends nothing to the dead-letter topic when every record is good', async () => {
    const { sink } = fakeSink(writesAll);
    const { sender, sent } = fakeSender(new Error('must not be called'));
    const { handler } = setup(sink, sender);
    const event = kafkaEvent([kafkaRecord({ offset: 1, value: userCreated(alice, sampleBatch) })]);

    const result = await handler(event);

    expect(result).toEqual({ received: 1, written: 1, deadLettered: 0, duplicates: 0 });
    expect(sent).toEqual([]);
  });

  it('writes both users of the sample event events/sink-users.json', async () => {
    const { sink, calls } = fakeSink(writesAll);
    const { sender } = fakeSender();
    const { handler } = setup(sink, sender);
    const event: unknown = JSON.parse(
      readFileSync(new URL('../../events/sink-users.json', import.meta.url), 'utf8'),
    );

    const result = await handler(event);

    expect(result).toEqual({ received: 2, written: 2, deadLettered: 0, duplicates: 0 });
    // The same two users as the sample UsersFetched event, as they reach the sink.
    const stored = z
      .object({
        detail: z
          .object({ users: z.array(z.object({ login: z.object({ uuid: z.string() }) }).loose()) })
          .loose(),
      })
      .loose()
      .parse(JSON.parse(readFileSync(new URL('../../events/store-users.json', import.meta.url), 'utf8')));
    expect(calls[0]?.map((row) => row.id)).toEqual(stored.detail.users.map((u) => u.login.uuid));
  });

  it('accepts an MSK event and an empty batch', async () => {
    const { sink, calls } = fakeSink(writesAll);
    const { sender } = fakeSender();
    const { handler } = setup(sink, sender);
    const event = {
      eventSource: 'aws:kafka',
      eventSourceArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/pipeline/abc',
      bootstrapServers: 'b-1.example:9092',
      records: {},
    };

    const result = await handler(event);

    expect(result).toEqual({ received: 0, written: 0, deadLettered: 0, duplicates: 0 });
    expect(calls).toEqual([[]]);
  });

  it.each([
    ['not an object', 'hello'],
    ['an unknown event source', { ...goodAndBad, eventSource: 'aws:sqs' }],
    ['MSK without eventSourceArn', { ...goodAndBad, eventSource: 'aws:kafka' }],
    ['records that are not grouped', { ...goodAndBad, records: [] }],
    [
      'a record filed under another partition',
      { ...goodAndBad, records: { 'users_created-5': goodAndBad.records['users_created-0'] } },
    ],
    ['a negative offset', kafkaEvent([{ ...kafkaRecord({ offset: 0, value: 'x' }), offset: -1 }])],
    [
      'a header that is not bytes',
      kafkaEvent([{ ...kafkaRecord({ offset: 0, value: 'x' }), headers: [{ h: [999] }] }]),
    ],
  ])('throws a ValidationError for a malformed envelope: %s', async (_, event) => {
    const { sink, calls } = fakeSink(writesAll);
    const { sender, sent } = fakeSender();
    const { handler } = setup(sink, sender);

    const outcome = handler(event);

    await expect(outcome).rejects.toBeInstanceOf(ValidationError);
    await expect(outcome).rejects.toMatchObject({ retryable: false, where: 'Kafka event' });
    expect(calls).toEqual([]);
    expect(sent).toEqual([]);
  });
});
