import { describe, expect, it } from 'vitest';
import sampleEvent from '../../events/publish-users.json' with { type: 'json' };
import { FakeOutbox, FakeSender } from '../../test/doubles/relay.ts';
import { outboxMessage } from '../../test/helpers/users-created.ts';
import { ConfigError, TransientError } from '../lib/errors.ts';
import { createLogger } from '../lib/logger.ts';
import { createHandler, defaults } from './app.ts';

const logger = createLogger('publish-users', { level: 'SILENT', stage: 'local' });
const relayConfig = (batchSize: number) => ({
  topics: { usersCreated: 'users_created_test', deadLetter: 'users_created_test.dlq' },
  relay: { batchSize, maxMessageBytes: 1_048_000, timeMarginMs: 5_000 },
});

/** `n` outbox rows with distinct, valid uuids. */
function messages(n: number) {
  return Array.from({ length: n }, (_, i) =>
    outboxMessage(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`),
  );
}

/** A relay over the given fakes, claiming `batchSize` rows at a time. */
function relay(outbox: FakeOutbox, sender: FakeSender = new FakeSender(), batchSize = 2) {
  return createHandler({ config: relayConfig(batchSize), logger, outbox, sender, now: () => new Date() });
}

const roomy = { getRemainingTimeInMillis: () => 60_000 };

/** A logger that keeps the level and the message of each line the handler writes. */
function recordingLogger() {
  const lines: Array<{ level: string; message: string; attributes: unknown }> = [];
  const record =
    (level: string) =>
    (message: unknown, ...attributes: unknown[]) => {
      lines.push({ level, message: String(message), attributes: attributes[0] });
    };
  const log = createLogger('publish-users', { level: 'SILENT', stage: 'local' });
  log.debug = record('DEBUG');
  log.info = record('INFO');
  log.warn = record('WARN');
  return { log, lines };
}

describe('publish-users handler', () => {
  it('drains the outbox in batches until a short one, keyed by user id', async () => {
    const rows = messages(5);
    const outbox = new FakeOutbox(rows);
    const sender = new FakeSender();
    const handler = relay(outbox, sender);

    const result = await handler(sampleEvent, roomy);

    expect(result).toEqual({ batches: 3, published: 5, dead: 0, stoppedBecause: 'empty' });
    expect(outbox.rows.every((r) => r.state === 'published')).toBe(true);
    expect(sender.keys()).toEqual(rows.map((r) => r.id));
    expect(new Set(sender.requests.map((r) => r.topic))).toEqual(new Set(['users_created_test']));
  });

  it('writes one INFO line per invocation, with the trigger and the outcome; the batches only at DEBUG', async () => {
    const { log, lines } = recordingLogger();
    const handler = createHandler({
      config: relayConfig(2),
      logger: log,
      outbox: new FakeOutbox(messages(5)),
      sender: new FakeSender(),
      now: () => new Date(),
    });

    await handler(sampleEvent, roomy);

    const info = lines.filter((l) => l.level === 'INFO');
    expect(info).toEqual([
      {
        level: 'INFO',
        message: 'outbox relay finished',
        attributes: expect.objectContaining({
          topic: 'users_created_test',
          trigger: { kind: 'users-stored', batchId: 'sample:1', count: 2 },
          batches: 3,
          published: 5,
          stoppedBecause: 'empty',
        }),
      },
    ]);
    expect(lines.filter((l) => l.message === 'outbox batch relayed').map((l) => l.level)).toEqual([
      'DEBUG',
      'DEBUG',
      'DEBUG',
    ]);
  });

  it('claims once more after a full last batch, and stops on the empty claim', async () => {
    const outbox = new FakeOutbox(messages(4));
    const handler = relay(outbox);

    const result = await handler({}, roomy);

    expect(result).toEqual({ batches: 3, published: 4, dead: 0, stoppedBecause: 'empty' });
  });

  it('marks an invalid row dead and publishes its neighbours', async () => {
    const rows = messages(3);
    const bad = rows[1];
    if (!bad) throw new Error('fixture');
    bad.payload = '{"schemaVersion":1}';
    const outbox = new FakeOutbox(rows);
    const handler = relay(outbox, new FakeSender(), 10);

    const result = await handler({}, roomy);

    expect(result).toMatchObject({ published: 2, dead: 1 });
    expect(outbox.rows.map((r) => r.state)).toEqual(['published', 'dead', 'published']);
    expect(outbox.rows[1]?.lastError).toContain('invalid outbox row');
  });

  it('with a registry, asks for the schema id once and writes every value in the wire format', async () => {
    const rows = messages(3);
    const sender = new FakeSender();
    let lookups = 0;
    const handler = createHandler({
      config: relayConfig(10),
      logger,
      outbox: new FakeOutbox(rows),
      sender,
      now: () => new Date(),
      valueSchemaId: async () => {
        lookups += 1;
        return 3;
      },
    });

    await handler({}, roomy);
    const values = sender.requests.flatMap((r) => r.records.map((record) => record.value));

    expect(lookups).toBe(1);
    expect(values).toHaveLength(3);
    values.forEach((value, i) => {
      const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value ?? '');
      expect([...bytes.subarray(0, 5)]).toEqual([0, 0, 0, 0, 3]);
      expect(bytes.subarray(5).toString('utf8')).toBe(rows[i]?.payload);
    });
  });

  it('claims nothing when the registry lacks the schema, and says to migrate', async () => {
    const outbox = new FakeOutbox(messages(2));
    const handler = createHandler({
      config: relayConfig(10),
      logger,
      outbox,
      sender: new FakeSender(),
      now: () => new Date(),
      valueSchemaId: async () => {
        throw new ConfigError('run `npm run migrate`', ['SCHEMA_REGISTRY_URL'], {
          code: 'SCHEMA_NOT_REGISTERED',
        });
      },
    });

    await expect(handler({}, roomy)).rejects.toMatchObject({ code: 'SCHEMA_NOT_REGISTERED' });
    expect(outbox.claims).toBe(0);
  });

  it('rejects with a retryable error and marks nothing published when Kafka fails transiently', async () => {
    const outbox = new FakeOutbox(messages(3));
    const sender = new FakeSender(() => {
      throw new TransientError('cannot send to Kafka: broker down', { code: 'KAFKA_SEND_FAILED' });
    });
    const handler = relay(outbox, sender, 10);

    const run = handler({}, roomy);

    await expect(run).rejects.toMatchObject({ name: 'TransientError', retryable: true });
    expect(outbox.rows.map((r) => r.state)).toEqual(['pending', 'pending', 'pending']);
  });

  it('claims nothing when less than the margin remains, and says so', async () => {
    const outbox = new FakeOutbox(messages(3));
    const handler = relay(outbox, new FakeSender(), 10);

    const result = await handler({}, { getRemainingTimeInMillis: () => 4_999 });

    expect(result).toEqual({ batches: 0, published: 0, dead: 0, stoppedBecause: 'time' });
    expect(outbox.claims).toBe(0);
    expect(outbox.rows.every((r) => r.state === 'pending')).toBe(true);
  });

  it('stops between batches when time runs low, leaving the rest for the next run', async () => {
    const outbox = new FakeOutbox(messages(5));
    const remaining = [60_000, 4_000];
    const context = { getRemainingTimeInMillis: () => remaining.shift() ?? 0 };
    const handler = relay(outbox);

    const result = await handler({}, context);

    expect(result).toEqual({ batches: 1, published: 2, dead: 0, stoppedBecause: 'time' });
    expect(outbox.rows.filter((r) => r.state === 'pending')).toHaveLength(3);
  });

  it('without a Lambda context, spends the default budget measured on the injected clock', async () => {
    const outbox = new FakeOutbox(messages(5));
    let clock = 0;
    // Each batch "takes" most of the budget: the second check finds less than the margin left.
    const sender = new FakeSender(() => {
      clock += defaults.budgetMs - 1_000;
    });
    const handler = createHandler({
      config: relayConfig(2),
      logger,
      outbox,
      sender,
      now: () => new Date(clock),
    });

    const result = await handler(undefined);

    expect(result).toEqual({ batches: 1, published: 2, dead: 0, stoppedBecause: 'time' });
  });
});
