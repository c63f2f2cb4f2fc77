/**
 * The pipeline's Kafka client: one producer per process, connected on first use and reused by every
 * invocation of a warm function. It exposes only what the pipeline needs, sending keyed records with
 * `acks=all`, and turns kafkajs failures into the pipeline's typed errors.
 */
import kafkajs, { type IHeaders, type Kafka, type Producer } from 'kafkajs';
import type { Config } from './config.ts';
import { messageOf, PipelineError, TransientError } from './errors.ts';

/** One record to send. `key` and `value` are sent as given. */
export interface OutgoingRecord {
  key: Buffer | string | null;
  /** Null for none, as a tombstone or a dead-lettered record without a value. */
  value: Buffer | string | null;
  headers?: Record<string, string | Buffer>;
}

/** Where a sent record landed. */
export interface RecordMetadata {
  partition: number;
  offset: string;
}

/** Sends records to Kafka topics and waits until every in-sync replica has them. */
export interface RecordSender {
  /**
   * Sends `records` to `topic` in one request with `acks=all`; resolves once the broker acknowledged all of
   * them. Records with the same key go to the same partition, in order.
   *
   * @throws {@link RecordTooLargeError} when the broker refuses a record for its size (not retryable)
   * @throws {@link TransientError} for any other failure (broker down, timeouts)
   */
  send(topic: string, records: readonly OutgoingRecord[]): Promise<RecordMetadata[]>;
  disconnect(): Promise<void>;
}

/** The broker refused a record or request for its size. Not retryable: the same record fails again. */
export class RecordTooLargeError extends PipelineError {
  override readonly name: string = 'RecordTooLargeError';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause, code: 'KAFKA_RECORD_TOO_LARGE', retryable: false });
  }
}

const tooLargeTypes = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD']);

/** Whether a kafkajs error, or one it wraps, is the broker refusing a record for its size. */
export function isTooLarge(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    if ('type' in e && typeof e.type === 'string' && tooLargeTypes.has(e.type)) return true;
    e = 'originalError' in e ? e.originalError : e.cause;
  }
  return false;
}

/** Builds the kafkajs client for a config; the caller decides when to connect. */
export function createKafka(config: Pick<Config, 'kafka'>): Kafka {
  return new kafkajs.Kafka({
    clientId: config.kafka.clientId,
    brokers: config.kafka.brokers,
    logLevel: kafkajs.logLevel.WARN,
    // Short first: a function should fail fast and let its event source retry, not hang until its timeout.
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5_000 },
  });
}

/**
 * Creates a {@link RecordSender} over one kafkajs producer, connected lazily on the first send.
 *
 * @param kafka - the client, e.g. from {@link createKafka}
 */
export function createRecordSender(kafka: Kafka): RecordSender {
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;

  const connected = (): Promise<Producer> => {
    if (producer) return Promise.resolve(producer);
    connecting ??= (async () => {
      // Not kafkajs' idempotent mode: it is marked experimental, and every consumer of ours is idempotent.
      const p = kafka.producer({
        allowAutoTopicCreation: false,
        maxInFlightRequests: 1,
        // Java's murmur2 partitioner: a key lands on the partition a Java or Spark producer would pick.
        createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
      });
      try {
        await p.connect();
      } catch (error) {
        connecting = undefined;
        throw new TransientError(`cannot connect to Kafka: ${messageOf(error)}`, {
          code: 'KAFKA_UNAVAILABLE',
          cause: error,
        });
      }
      producer = p;
      p.on(p.events.DISCONNECT, () => {
        if (producer === p) {
          producer = undefined;
          connecting = undefined;
        }
      });
      return p;
    })();
    return connecting;
  };

  return {
    async send(topic, records) {
      if (records.length === 0) return [];
      const p = await connected();
      try {
        const results = await p.send({
          topic,
          acks: -1,
          messages: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers as IHeaders })),
        });
        return results.map((r) => ({ partition: r.partition, offset: r.baseOffset ?? r.offset ?? '' }));
      } catch (error) {
        if (isTooLarge(error)) {
          throw new RecordTooLargeError(`Kafka refused a record on ${topic}: ${messageOf(error)}`, {
            cause: error,
          });
        }
        throw new TransientError(`cannot send to Kafka topic ${topic}: ${messageOf(error)}`, {
          code: 'KAFKA_SEND_FAILED',
          cause: error,
        });
      }
    },
    async disconnect() {
      const p = producer ?? (await connecting?.catch(() => undefined));
      producer = undefined;
      connecting = undefined;
      await p?.disconnect();
    },
  };
}
