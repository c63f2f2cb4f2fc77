import { describe, expect, it } from 'vitest';
import { FakeSender } from '../../test/doubles/relay.ts';
import { outboxMessage } from '../../test/helpers/users-created.ts';
import { TransientError } from '../lib/errors.ts';
import { RecordTooLargeError } from '../lib/kafka.ts';
import { createLogger } from '../lib/logger.ts';
import { buildRecord } from './core.ts';
import { publishMessages } from './send.ts';

const ids = [
  '11111111-1111-4111-8111-111111111111',
  '22222222-2222-4222-8222-222222222222',
  '33333333-3333-4333-8333-333333333333',
] as const;
const [first, culprit, last] = ids;
const logger = createLogger('publish-users', { level: 'SILENT', stage: 'local' });
const deps = (sender: FakeSender, maxMessageBytes = 1_048_000) => ({
  sender,
  topic: 'users_created',
  maxMessageBytes,
  logger,
});

describe('publishMessages', () => {
  it('sends a batch that fits in one request and publishes every row', async () => {
    const sender = new FakeSender();

    const verdict = await publishMessages(
      ids.map((id) => outboxMessage(id)),
      deps(sender),
    );

    expect(verdict).toEqual({ published: [...ids], dead: [] });
    expect(sender.requests).toHaveLength(1);
    expect(sender.requests[0]?.topic).toBe('users_created');
    expect(sender.keys()).toEqual([...ids]);
  });

  it('splits a batch into requests that each fit the size limit', async () => {
    const sender = new FakeSender();
    const messages = ids.map((id) => outboxMessage(id));
    const sizes = messages.map((m) => {
      const built = buildRecord(m);
      if (!built.ok) throw new Error('fixture must be valid');
      return built.record.bytes;
    });
    // Room for the first two records in one batch, not for the third.
    const limit = 61 + (sizes[0] ?? 0) + (sizes[1] ?? 0);

    const verdict = await publishMessages(messages, deps(sender, limit));

    expect(verdict.published).toEqual([...ids]);
    expect(sender.requests.map((r) => r.records.length)).toEqual([2, 1]);
  });

  it('sends nothing for rows that are all dead', async () => {
    const sender = new FakeSender();

    const verdict = await publishMessages([outboxMessage(first, { nope: true })], deps(sender));

    expect(verdict.published).toEqual([]);
    expect(verdict.dead.map((d) => d.id)).toEqual([first]);
    expect(sender.requests).toEqual([]);
  });

  it('when the broker refuses a request for size, resends one record at a time and marks only the culprit dead', async () => {
    const sender = new FakeSender((records) => {
      if (records.some((r) => r.key === culprit)) throw new RecordTooLargeError('MESSAGE_TOO_LARGE');
    });

    const verdict = await publishMessages(
      ids.map((id) => outboxMessage(id)),
      deps(sender),
    );

    expect(verdict.published).toEqual([first, last]);
    expect(verdict.dead).toEqual([{ id: culprit, error: 'record too large for Kafka: MESSAGE_TOO_LARGE' }]);
    expect(sender.requests.map((r) => r.records.map((record) => record.key))).toEqual([
      [...ids],
      [first],
      [culprit],
      [last],
    ]);
  });

  it('marks a lone refused record dead without sending it again', async () => {
    const sender = new FakeSender(() => {
      throw new RecordTooLargeError('MESSAGE_TOO_LARGE');
    });

    const verdict = await publishMessages([outboxMessage(first)], deps(sender));

    expect(verdict.dead.map((d) => d.id)).toEqual([first]);
    expect(sender.requests).toHaveLength(1);
  });

  it('rethrows a transient failure, also during the one-at-a-time fallback', async () => {
    const down = new FakeSender(() => {
      throw new TransientError('broker down');
    });
    let calls = 0;
    const downMidway = new FakeSender(() => {
      calls += 1;
      if (calls === 1) throw new RecordTooLargeError('MESSAGE_TOO_LARGE');
      if (calls === 3) throw new TransientError('broker down');
    });
    const messages = ids.map((id) => outboxMessage(id));

    const direct = publishMessages(messages, deps(down));
    const fallback = publishMessages(messages, deps(downMidway));

    await expect(direct).rejects.toBeInstanceOf(TransientError);
    await expect(fallback).rejects.toBeInstanceOf(TransientError);
  });
});
