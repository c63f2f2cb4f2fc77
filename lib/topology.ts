/**
 * The pipeline's topology: every name, port and limit that more than one room needs, written once. The
 * functions' settings schema takes its defaults from here, the local stack its ports, the migrations its
 * topics, keyspace and database, `npm start` and the benchmarks their endpoints; `serverless.yml` and the
 * compose file are checked against it by tests (test/unit/topology.test.ts, test/unit/compose.test.ts).
 *
 * Plain data, no I/O: importing it reads no environment. What can be overridden is overridden through the
 * settings that carry these defaults (functions/lib/settings.ts, infra/local/config.ts).
 */

/** The service's name: serverless.yml's `service`, the EventBridge `source`, the stack's process marker. */
export const serviceName = 'realtime-user-pipeline';

/** The stage the local stack runs as (`sls offline start`, `sls invoke local`). */
export const localStage = 'local';

/** The functions of serverless.yml, by their keys there. */
export const functionNames = ['ping', 'fetch-users', 'store-users', 'publish-users', 'sink-users'] as const;
export type FunctionName = (typeof functionNames)[number];

/** The Kafka topics, with the partition counts the migrations give them. */
export const topics = {
  usersCreated: { name: 'users_created', partitions: 6 },
  deadLetter: { name: 'users_created.dlq', partitions: 1 },
} as const;

/** The Cassandra keyspace and table the sink writes. */
export const cassandra = {
  keyspace: 'spark_streams',
  table: 'created_users',
  localDataCenter: 'datacenter1',
};

/**
 * The consumer group of sink-users' Kafka event source on the local stage: serverless.yml's `consumerGroupId`
 * (`${self:service}-${sls:stage}-sink-users`). `npm start`, the console and the benchmarks read its lag.
 */
export const sinkGroupId = `${serviceName}-${localStage}-sink-users`;

/** The PostgreSQL database of users_raw and the outbox. */
export const postgresDatabase = 'pipeline';

/**
 * The PostgreSQL database the local Schema Registry (Apicurio) keeps its schemas in, on the stack's server beside
 * `postgresDatabase`: a database of its own, so its tables never mix with the pipeline's migrations.
 */
export const registryDatabase = 'schema_registry';

/** The EventBridge events between the functions: their `source` and detail types. */
export const events = {
  source: serviceName,
  usersFetched: 'UsersFetched',
  usersStored: 'UsersStored',
} as const;

/** Every port the local stack and the local runtime listen on, all on 127.0.0.1. */
export const ports = {
  kafka: 9092,
  kafkaController: 9093,
  cassandra: 9042,
  cassandraStorage: 7000,
  cassandraJmx: 7199,
  postgres: 5432,
  /** The private PostgreSQL cluster the stack starts when none answers on `postgres`. */
  postgresPrivate: 55432,
  /** The local randomuser-compatible API (infra/randomuser). */
  randomuser: 3100,
  /** The local EventBridge's PutEvents endpoint (infra/eventbus). */
  eventBus: 4010,
  /** serverless-offline's HTTP events (`GET /ping`). */
  offlineHttp: 3000,
  /** serverless-offline's Lambda Invoke API. */
  offlineLambda: 3002,
  /**
   * The local Kafka event source's event-source-mapping API (infra/offline-kafka): List/Get/Update as
   * Lambda's REST API serves them, so the console can pause and resume the event source.
   */
  offlineEventSources: 3004,
  /** The pipeline console (infra/console): `npm start` and `npm run console` serve it here. */
  console: 3300,
  /**
   * The local Schema Registry (Apicurio): its REST APIs, the Confluent-compatible one among them. 8081 is where
   * Confluent's Schema Registry listens and where its clients look first; 8080, Apicurio's own default, clashes
   * with other tools (as for Spark's UI below).
   */
  registry: 8081,
  /** The Schema Registry's management interface (health, metrics); Quarkus would take 0.0.0.0:9000. */
  registryManagement: 8082,
  sparkMaster: 7077,
  /** Off 8080, which clashes with other tools. */
  sparkMasterUi: 8090,
  sparkWorkerUi: 8091,
  /** Amazon Keyspaces: TLS only. */
  keyspaces: 9142,
} as const;

/** Limits of the systems the pipeline talks to, which the code must keep to. */
export const limits = {
  /** randomuser.me serves at most this many users per request. */
  randomuserMaxResults: 5000,
  /** EventBridge: entries per PutEvents call. */
  putEventsMaxEntries: 10,
  /** EventBridge: bytes per PutEvents call, and so per entry. */
  putEventsMaxBytes: 256 * 1024,
  /** Amazon Keyspaces: statements per unlogged batch. */
  keyspacesMaxBatch: 30,
  /** The broker's `message.max.bytes` less headroom (Kafka's default is 1,048,588). */
  kafkaMaxMessageBytes: 1_048_000,
  /** Seconds a secret from Secrets Manager is reused before it is fetched again. */
  secretsMaxAgeSeconds: 300,
} as const;

/**
 * The local EventBridge's backoff between retries of a delivery (infra/eventbus): full jitter over 1 s
 * doubling, at most 980 s, which spreads EventBridge's default 185 retries over about 24 hours.
 */
export const eventBusBackoff = { baseDelayMs: 1000, maxDelayMs: 980_000 } as const;

/** The base path of a registry's Confluent-compatible API (Apicurio's `ccompat`, API version 7). */
export const schemaRegistryCompatPath = '/apis/ccompat/v7';

/** The URL of the local randomuser API, the default source of fetch-users. */
export const localRandomuserUrl = `http://127.0.0.1:${ports.randomuser}/api/1.4/`;

/** The deployed name of a function, as Lambda (and serverless-offline's Invoke API) knows it. */
export function lambdaName(functionKey: FunctionName, stage: string = localStage): string {
  return `${serviceName}-${stage}-${functionKey}`;
}
