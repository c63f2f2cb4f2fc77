/**
 * In-memory stand-ins for the relay's clients, for unit tests: an outbox with the claim semantics of the
 * real one (oldest first, nothing marked when publishing throws) and a Kafka sender that records requests.
 */
import type { OutgoingRecord, RecordMetadata, RecordSender } from '../../functions/lib/kafka.ts';
import type { BatchOutcome, BatchVerdict, Outbox, OutboxMessage } from '../../functions/lib/outbox.ts';

/** One row of the {@link FakeOutbox}. */
export interface FakeRow {
  message: OutboxMessage;
  state: 'pending' | 'published' | 'dead';
  lastError?: string;
}

/** An in-memory {@link Outbox}; `rows` is its table. */
export class FakeOutbox implements Outbox {
  readonly rows: FakeRow[];
  claims = 0;

  constructor(messages: readonly OutboxMessage[]) {
    this.rows = messages.map((message) => ({ message, state: 'pending' }));
  }

  async relayBatch(
    limit: number,
    publish: (messages: readonly OutboxMessage[]) => Promise<BatchVerdict>,
  ): Promise<BatchOutcome> {
    this.claims += 1;
    const claimed = this.rows.filter((r) => r.state === 'pending').slice(0, limit);
    if (claimed.length === 0) return { claimed: 0, published: 0, dead: 0 };
    const verdict = await publish(claimed.map((r) => r.message));
    for (const id of verdict.published) this.row(id).state = 'published';
    for (const dead of verdict.dead)
      Object.assign(this.row(dead.id), { state: 'dead', lastError: dead.error });
    return { claimed: claimed.length, published: verdict.published.length, dead: verdict.dead.length };
  }

  private row(id: string): FakeRow {
    const row = this.rows.find((r) => r.message.id === id);
    if (!row) throw new Error(`no row ${id}`);
    return row;
  }
}

/** A {@link RecordSender} that records every request and answers with `respond` (default: acknowledge). */
export class FakeSender implements RecordSender {
  readonly requests: Array<{ topic: string; records: OutgoingRecord[] }> = [];

  constructor(private readonly respond: (records: readonly OutgoingRecord[]) => void = () => undefined) {}

  async send(topic: string, records: readonly OutgoingRecord[]): Promise<RecordMetadata[]> {
    this.requests.push({ topic, records: [...records] });
    this.respond(records);
    return records.map((_, i) => ({ partition: 0, offset: String(i) }));
  }

  async disconnect(): Promise<void> {}

  /** The keys of every record sent, in order. */
  keys(): Array<OutgoingRecord['key']> {
    return this.requests.flatMap((r) => r.records.map((record) => record.key));
  }
}
