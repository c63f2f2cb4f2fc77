/**
 * Where the console reads from and acts on, behind one interface ({@link ConsoleSources}), built in one place
 * ({@link localSources}) from the stack's config and the run's names. Nothing else in the console makes a
 * client, so pointing it at a stage on AWS (MSK, Amazon Keyspaces, RDS, Lambda's event-source mappings) is a
 * second builder of the same interface with that stage's clients; see the README.
 */
import cassandra from 'cassandra-driver';
import { type Admin, logLevel, type Producer } from 'kafkajs';
import pg from 'pg';
import { createSchemaRegistry, valueSubject } from '../../functions/lib/registry.ts';
import { createSchemaVersions } from '../../functions/lib/schema-ids.ts';
import { Kafka } from '../../lib/kafkajs.ts';
import { ports, sinkGroupId } from '../../lib/topology.ts';
import { cassandraContactPoint, kafkaBroker, type StackConfig, schemaRegistryUrl } from '../local/config.ts';
import { eventBusPostgres, resolvePostgres, stackConnection } from '../local/endpoints.ts';
import { portOpen } from '../local/proc.ts';
import { services } from '../local/services.ts';
import { status } from '../local/stack.ts';
import type { StackView } from './api.ts';
import { type EventSourceClient, localEventSources } from './event-sources.ts';
import { readTopicBytes, type TopicBytes } from './log-dirs.ts';
import type { SchemaVersionOf } from './messages.ts';
import type { ConsoleRegistry } from './schemas.ts';

/** The names of the run the console looks at: the ones its functions use. */
export interface RunNames {
  topic: string;
  deadLetterTopic: string;
  keyspace: string;
  database: string;
  /** The consumer group of the sink's event source. */
  groupId: string;
}

/** Every system the console reads, as the console needs it. */
export interface ConsoleSources {
  names: RunNames;
  /** The broker's version as the stack knows it (kafkajs cannot ask the broker). */
  kafkaVersion: string;
  /** The run's database: users_raw and the outbox. */
  pg: pg.Pool;
  /** Where the local EventBridge keeps its tables: the same pool unless the bus's PostgreSQL is elsewhere. */
  bus: pg.Pool;
  kafka: Kafka;
  /** The admin client, connected on first use (and again after a failure). */
  admin(): Promise<Admin>;
  /** A producer for re-drives (acks=all, idempotent), connected on first use. */
  producer(): Promise<Producer>;
  cql: cassandra.Client;
  /**
   * Each topic's bytes on the broker's disk per partition (null for a topic it cannot read), where the
   * sources have a way to know: kafkajs has no DescribeLogDirs. Without it the view's sizes are unknown.
   */
  topicBytes?(topics: readonly string[]): Promise<TopicBytes>;
  eventSources: EventSourceClient;
  /** The Schema Registry (its Confluent-compatible API), read by the Schemas view only. */
  registry: ConsoleRegistry;
  /**
   * The version of the run's value subject (`<topic>-value`) a schema id is, for the message browser's records
   * in the Confluent wire format; each id is asked once (functions/lib/schema-ids.ts, as sink-users does).
   */
  schemaVersionOf?: SchemaVersionOf;
  /** Each service of the stack, as `npm run stack:status` shows it. */
  stack(): Promise<StackView>;
  close(): Promise<void>;
}

/** The run's names as the stack config gives them (KAFKA_TOPIC, KAFKA_DLQ_TOPIC, ... as `npm start` reads them). */
export function runNames(cfg: StackConfig): RunNames {
  return {
    topic: cfg.pipeline.topic,
    deadLetterTopic: cfg.pipeline.deadLetterTopic,
    keyspace: cfg.pipeline.keyspace,
    database: cfg.postgres.database,
    groupId: sinkGroupId,
  };
}

/** Memoizes a connect, and forgets it when it failed, so the next use tries again. */
function lazily<T>(connect: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= connect().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

/**
 * The registry at `url`. The client sends nothing until the Schemas view asks, so a stack without a registry
 * leaves every other view as it is. No retries: the page shows a failure at once and its Refresh tries again.
 */
export function localRegistry(url: string): ConsoleRegistry {
  const client = createSchemaRegistry({ url, retries: 0 });
  const { hostname, port, protocol } = new URL(client.url);
  return {
    client,
    listening: () => portOpen(hostname, Number(port || (protocol === 'https:' ? 443 : 80))),
  };
}

/**
 * The local stack's clients, at the endpoints the stack recorded, for the run `cfg` names.
 *
 * @param options.eventSourcesPort - the local event-source mapping API (`npm start`'s)
 * @param options.registryUrl - the Schema Registry's Confluent-compatible API; default the stack's
 */
export function localSources(
  cfg: StackConfig,
  options: { eventSourcesPort?: number; registryUrl?: string; names?: Partial<RunNames> } = {},
): ConsoleSources {
  const names = { ...runNames(cfg), ...options.names };
  const endpoint = { ...resolvePostgres(cfg), database: names.database };
  const busEndpoint = { ...eventBusPostgres(cfg), database: names.database };
  // Few connections: the console reads once a second and must cost the pipeline next to nothing.
  const pool = new pg.Pool({ ...stackConnection(endpoint), max: 3, application_name: 'pipeline-console' });
  // An idle connection the server drops must not end the process (npm start runs the console in its own).
  pool.on('error', () => {});
  const samePlace = busEndpoint.host === endpoint.host && busEndpoint.port === endpoint.port;
  const bus = samePlace
    ? pool
    : new pg.Pool({ ...stackConnection(busEndpoint), max: 2, application_name: 'pipeline-console' });
  bus.on('error', () => {});
  const kafka = new Kafka({
    clientId: 'pipeline-console',
    brokers: [kafkaBroker(cfg)],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  const connectAdmin = lazily(async () => {
    await admin.connect();
    return admin;
  });
  const connectProducer = lazily(async () => {
    await producer.connect();
    return producer;
  });
  const cql = new cassandra.Client({
    contactPoints: [cassandraContactPoint(cfg)],
    localDataCenter: cfg.cassandra.localDataCenter,
  });
  // The broker's log directory is ours to read only when the stack runs the broker: one it did not start
  // (LOCAL_STACK_EXTERNAL) keeps its log elsewhere, maybe in a container.
  const kafkaLogDir = cfg.external ? undefined : services(cfg).kafka.dataDir;
  const registryUrl = options.registryUrl ?? schemaRegistryUrl(cfg);
  const schemaVersions = createSchemaVersions(
    createSchemaRegistry({ url: registryUrl, retries: 0 }),
    valueSubject(names.topic),
  );
  return {
    names,
    kafkaVersion: cfg.kafka.version,
    pg: pool,
    bus,
    kafka,
    admin: connectAdmin,
    producer: connectProducer,
    cql,
    ...(kafkaLogDir && { topicBytes: (topics) => readTopicBytes(kafkaLogDir, topics) }),
    eventSources: localEventSources(
      `http://127.0.0.1:${options.eventSourcesPort ?? ports.offlineEventSources}`,
    ),
    registry: localRegistry(registryUrl),
    schemaVersionOf: async (id) => (await schemaVersions.versionOf(id))?.version,
    stack: async () => ({
      services: (await status(cfg)).map((row) => ({
        service: row.service,
        health: row.health,
        version: row.version,
        pid: row.pid ?? null,
        port: row.port,
        uptimeMs: row.uptimeMs ?? null,
        rssBytes: row.rssBytes ?? null,
        managed: row.managed,
      })),
    }),
    async close() {
      await Promise.allSettled([
        pool.end(),
        samePlace ? undefined : bus.end(),
        admin.disconnect(),
        producer.disconnect(),
        cql.shutdown(),
      ]);
    },
  };
}
