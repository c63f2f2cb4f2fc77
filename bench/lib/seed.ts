/**
 * Feeding and reading a phase's pipeline: `users_created` records straight onto the topic (built by the
 * relay's own record builder, so they are byte for byte what publish-users sends), the Cassandra rows with
 * their write times, and waiting for a row count.
 */
import type cassandra from 'cassandra-driver';
import type { Kafka } from 'kafkajs';
import type { UserCreated } from '../../functions/lib/schemas.ts';
import { buildRecord } from '../../functions/publish-users/core.ts';

/** The Kafka record publish-users would send for `message`. */
export function relayRecord(message: UserCreated) {
  const payload = JSON.stringify(message);
  const built = buildRecord({
    id: message.id,
    aggregateId: message.id,
    type: 'UserCreated',
    payload,
    attempts: 0,
  });
  if (!built.ok) throw new Error(`bench record invalid: ${built.dead.error}`);
  return built.record.record;
}

/**
 * Produces the records of `messages` to `topic` with acks=all, keyed by user id, in requests of `chunk`
 * records with several in flight. Not a measurement: it only loads the topic fast.
 */
export async function produceMessages(
  kafka: Kafka,
  topic: string,
  messages: readonly UserCreated[],
  chunk = 500,
) {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < messages.length; i += chunk) {
      const records = messages.slice(i, i + chunk).map(relayRecord);
      sends.push(producer.send({ topic, acks: -1, messages: records }));
      if (sends.length >= 8) await sends.shift();
    }
    await Promise.all(sends);
  } finally {
    await producer.disconnect();
  }
}

/** Every `created_users` row's id and write time (microseconds), paging through the table. */
export async function writeTimes(cql: cassandra.Client): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  const stream = cql.stream('SELECT id, writetime(first_name) AS w FROM created_users', [], {
    prepare: true,
    fetchSize: 5000,
  });
  for await (const row of stream as unknown as AsyncIterable<{
    id: { toString(): string };
    w: { toNumber(): number } | null;
  }>) {
    if (row.w !== null) times.set(row.id.toString(), row.w.toNumber());
  }
  return times;
}

/** The number of `created_users` rows. */
export async function rowCount(cql: cassandra.Client): Promise<number> {
  const result = await cql.execute('SELECT count(*) AS n FROM created_users', [], { readTimeout: 120_000 });
  return Number(result.first()?.get('n') ?? 0);
}

/**
 * Waits until `created_users` holds `expected` rows, polling every `intervalMs`; fails after `timeoutMs`
 * with how many arrived.
 */
export async function waitForRows(
  cql: cassandra.Client,
  expected: number,
  opts: { timeoutMs: number; intervalMs?: number; onProgress?: (rows: number) => void },
): Promise<number> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const rows = await rowCount(cql);
    opts.onProgress?.(rows);
    if (rows >= expected) return rows;
    if (Date.now() > deadline) {
      throw new Error(`created_users holds ${rows} of ${expected} rows after ${opts.timeoutMs / 1000} s`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
  }
}
