/**
 * The pipeline's Kafka client: one producer per process, connected on first use and reused by every
 * invocation of a warm function. It exposes only what the pipeline needs, sending keyed records with
 * `acks=all`, and turns kafkajs failures into the pipeline's typed errors.
 *
 * The same client serves the local broker (plaintext, no authentication), Amazon MSK with IAM (TLS and
 * SASL/OAUTHBEARER tokens from `aws-msk-iam-sasl-signer-js`) and self-managed Kafka or MSK with SASL/SCRAM
 * over TLS (credentials from Secrets Manager); `kafkaSecurity` in the config selects which.
 */
import kafkajs, { type IHeaders, type KafkaConfig, type Producer } from 'kafkajs';
import { errorText, PipelineError } from '../../lib/errors.ts';
import { Kafka } from '../../lib/kafkajs.ts';
import { limits } from '../../lib/topology.ts';
import { ConfigError, TransientError } from './errors.ts';
import { type Credentials, type CredentialsReader, createCredentialsReader } from './secrets.ts';
import type { Config } from './settings.ts';

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

/** What the Kafka client reads; without `kafkaSecurity` it connects as the local broker expects. */
export type KafkaClientConfig = Pick<Config, 'kafka'> & Partial<Pick<Config, 'kafkaSecurity' | 'secrets'>>;

/** Makes an MSK IAM token for a region: a presigned `kafka-cluster:Connect` URL, base64url, valid 15 min. */
export type IamTokenSource = (region: string) => Promise<{ token: string }>;

/**
 * Signs with the function's own credentials (the Lambda role), found by the AWS SDK's default chain. The
 * signer and the SDK it brings are loaded on the first token, so stages without IAM never load them.
 */
export const mskIamToken: IamTokenSource = async (region) => {
  const { generateAuthToken } = await import('aws-msk-iam-sasl-signer-js');
  return generateAuthToken({ region });
};

/**
 * The TLS and SASL options of kafkajs for a security setting.
 *
 * - `none`: plaintext, or TLS alone when `tls` is set.
 * - `iam`: TLS and SASL/OAUTHBEARER; kafkajs asks for a fresh token on every (re)authentication, and
 *   re-authenticates before the broker's session expires, so an expired token never breaks a warm producer.
 * - `scram`: TLS and SASL/SCRAM-SHA-512 with `scram` credentials (MSK supports SHA-512 only).
 *
 * @throws {@link ConfigError} naming `KAFKA_SCRAM_SECRET_ARN` for `scram` without credentials
 */
export function kafkaSecurityOptions(
  security: Config['kafkaSecurity'],
  sources: { iamToken?: IamTokenSource; scram?: Credentials } = {},
): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const { auth, tls } = security;
  switch (auth.mechanism) {
    case 'none':
      return { ssl: tls };
    case 'iam': {
      const iamToken = sources.iamToken ?? mskIamToken;
      return {
        ssl: tls,
        sasl: {
          mechanism: 'oauthbearer',
          oauthBearerProvider: async () => ({ value: (await iamToken(auth.region)).token }),
        },
      };
    }
    case 'scram':
      if (sources.scram === undefined) {
        throw new ConfigError('KAFKA_AUTH=scram needs the credentials of KAFKA_SCRAM_SECRET_ARN', [
          'KAFKA_SCRAM_SECRET_ARN',
        ]);
      }
      return {
        ssl: tls,
        sasl: {
          mechanism: 'scram-sha-512',
          username: sources.scram.username,
          password: sources.scram.password,
        },
      };
  }
}

/**
 * Builds the kafkajs client for a config; the caller decides when to connect. For SASL/SCRAM, pass the
 * credentials, or use {@link kafkaFor}, which reads them from Secrets Manager.
 *
 * @throws {@link ConfigError} for SASL/SCRAM without `scram` credentials
 */
export function createKafka(
  config: KafkaClientConfig,
  sources: { iamToken?: IamTokenSource; scram?: Credentials } = {},
): Kafka {
  const security = config.kafkaSecurity ?? { tls: false, auth: { mechanism: 'none' } };
  return new Kafka({
    clientId: config.kafka.clientId,
    brokers: config.kafka.brokers,
    ...kafkaSecurityOptions(security, sources),
    logLevel: kafkajs.logLevel.WARN,
    // Short first: a function should fail fast and let its event source retry, not hang until its timeout.
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5_000 },
  });
}

/** A kafkajs client, or a function that builds one when it is first needed (see {@link kafkaFor}). */
export type KafkaSource = Kafka | (() => Promise<Kafka>);

/**
 * The kafkajs client for a config, built on first use: with SASL/SCRAM it first reads the credentials from
 * the secret named by `KAFKA_SCRAM_SECRET_ARN`. A failed read is not remembered, so the next send tries again.
 *
 * @param reader - where SCRAM credentials come from; by default Secrets Manager
 */
export function kafkaFor(config: KafkaClientConfig, reader?: CredentialsReader): () => Promise<Kafka> {
  let built: Promise<Kafka> | undefined;
  return () => {
    built ??= (async () => {
      const auth = config.kafkaSecurity?.auth;
      if (auth?.mechanism !== 'scram') return createKafka(config);
      const secrets =
        reader ??
        createCredentialsReader({
          secrets: config.secrets ?? { maxAgeSeconds: limits.secretsMaxAgeSeconds },
        });
      return createKafka(config, {
        scram: await secrets.credentials(auth.secretArn, 'KAFKA_SCRAM_SECRET_ARN'),
      });
    })().catch((error: unknown) => {
      built = undefined;
      throw error;
    });
    return built;
  };
}

/**
 * Creates a {@link RecordSender} over one kafkajs producer, connected lazily on the first send.
 *
 * @param source - the client, e.g. from {@link createKafka}, or a builder of it, e.g. from {@link kafkaFor}
 */
export function createRecordSender(source: KafkaSource): RecordSender {
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;

  const connected = (): Promise<Producer> => {
    if (producer) return Promise.resolve(producer);
    connecting ??= (async () => {
      let kafka: Kafka;
      try {
        kafka = typeof source === 'function' ? await source() : source;
      } catch (error) {
        connecting = undefined;
        throw error;
      }
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
        throw new TransientError(`cannot connect to Kafka: ${errorText(error)}`, {
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
          throw new RecordTooLargeError(`Kafka refused a record on ${topic}: ${errorText(error)}`, {
            cause: error,
          });
        }
        throw new TransientError(`cannot send to Kafka topic ${topic}: ${errorText(error)}`, {
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
