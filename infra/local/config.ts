/**
 * Settings of the no-Docker local stack, and the pure generators of each server's configuration files.
 *
 * This is the single source of the stack's ports, directories and server settings: the process manager
 * (`stack.ts`), the dev runner (infra/dev), the migrations, the tests and the docker-compose consistency test
 * all read it from here. Every value can be overridden through the environment, which is read only in
 * `loadStackConfig`.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../../lib/errors.ts';
import { repoRoot } from '../../lib/paths.ts';
import { settingsDocumentation } from '../../lib/settings-docs.ts';
import {
  cassandra,
  eventBusBackoff,
  limits,
  ports,
  postgresDatabase,
  registryDatabase,
  schemaRegistryCompatPath,
  serviceName,
  topics,
} from '../../lib/topology.ts';
import { StackError } from './errors.ts';

export const mavenDir = join(repoRoot, 'infra', 'local', 'maven');

/** The pipeline's PostgreSQL database unless PIPELINE_PGDATABASE names another. */
export const defaultDatabase = postgresDatabase;

const port = z.coerce.number().int().min(1).max(65535);
const heap = z.string().regex(/^\d+[mMgG]$/, 'a JVM heap size such as 512m or 1g');

const { documented, settings } = settingsDocumentation<{ meaning: string }>();
const doc = <S extends z.ZodType>(schema: S, meaning: string) => documented(schema, { meaning });

/** A flag as the stack's variables spell it: `1`/`true` or `0`/`false`; empty is the default. */
const flag = (fallback: '' | 'true') => z.enum(['', '0', '1', 'false', 'true']).default(fallback);

// Each setting's meaning is the text of the generated table in infra/local/README.md (npm run schemas).
const envSchema = z.object({
  LOCAL_STACK_DIR: doc(z.string().min(1).optional(), 'where the stack keeps its state; unset: `.local/`'),
  LOCAL_STACK_EXTERNAL: doc(
    flag('').transform((v) => v === '1' || v === 'true'),
    'use servers someone else runs (docker compose) at the configured ports, and start none',
  ),
  LOCAL_JARS_DIR: doc(
    z.string().min(1).optional(),
    'the cache of resolved server jars, shared by every state directory; unset: `.local/jars/`',
  ),
  KAFKA_PORT: doc(port.default(ports.kafka), "Kafka's broker port"),
  KAFKA_CONTROLLER_PORT: doc(port.default(ports.kafkaController), "Kafka's KRaft controller port"),
  KAFKA_HEAP: doc(heap.default('512m'), "Kafka's JVM heap"),
  CASSANDRA_PORT: doc(port.default(ports.cassandra), "Cassandra's CQL port"),
  CASSANDRA_STORAGE_PORT: doc(port.default(ports.cassandraStorage), "Cassandra's storage (gossip) port"),
  CASSANDRA_JMX_PORT: doc(port.default(ports.cassandraJmx), "Cassandra's JMX port"),
  CASSANDRA_HEAP: doc(heap.default('1536m'), "Cassandra's JVM heap"),
  PGHOST: doc(z.string().min(1).default('127.0.0.1'), 'a PostgreSQL server to use when one answers there'),
  PGPORT: doc(port.default(ports.postgres), 'its port'),
  PGUSER: doc(z.string().min(1).optional(), 'its user; unset: the OS user'),
  PIPELINE_PGDATABASE: doc(
    z.string().min(1).default(defaultDatabase),
    "the pipeline's database (created by the migrations); the functions' PGDATABASE locally",
  ),
  LOCAL_PG_PORT: doc(
    port.default(ports.postgresPrivate),
    'the port of the private PostgreSQL cluster the stack starts when none answers at PGHOST:PGPORT',
  ),
  CASSANDRA_JAVA_HOME: doc(
    z.string().min(1).optional(),
    'a JDK 11 or 17 for Cassandra 5.0; unset: found under /usr/lib/jvm',
  ),
  JAVA_HOME: doc(
    z.string().min(1).optional(),
    'the JDK (17+) for Kafka and the tools; unset: `java` on PATH',
  ),
  REGISTRY_PORT: doc(
    port.default(ports.registry),
    "the Schema Registry's (Apicurio's) HTTP port: its REST APIs, the Confluent-compatible one under `/apis/ccompat/v7`",
  ),
  REGISTRY_MANAGEMENT_PORT: doc(
    port.default(ports.registryManagement),
    "the Schema Registry's management port (health and metrics)",
  ),
  REGISTRY_HEAP: doc(heap.default('256m'), "the Schema Registry's JVM heap"),
  REGISTRY_PGDATABASE: doc(
    z.string().min(1).default(registryDatabase),
    "the database the Schema Registry keeps its schemas in, on the stack's PostgreSQL (created by `stack:up`, dropped by `stack:reset`)",
  ),
  REGISTRY_JAVA_HOME: doc(
    z.string().min(1).optional(),
    'a JDK 21 or newer for the Schema Registry (Apicurio Registry 3); unset: the default JDK when it is 21+, else the newest found under /usr/lib/jvm',
  ),
  RANDOMUSER_URL: doc(
    z.url().optional(),
    'set: the functions fetch from there (e.g. `https://randomuser.me/api/1.4/`) and no local API starts',
  ),
  RANDOMUSER_PORT: doc(port.default(ports.randomuser), 'the port of the local randomuser API'),
  EVENTBRIDGE_ENDPOINT: doc(
    z.url().optional(),
    'set: the functions put events there and the local EventBridge is not used',
  ),
  LOCAL_EVENTBUS_PORT: doc(port.default(ports.eventBus), "the local EventBridge's PutEvents port"),
  LOCAL_EVENTBUS_PGHOST: doc(
    z.string().min(1).optional(),
    "the PostgreSQL host the local EventBridge keeps its events on; unset: the functions' (where the stack recorded it)",
  ),
  LOCAL_EVENTBUS_PGPORT: doc(
    port.optional(),
    "its port; unset: the functions'. Set both to keep the bus on the real server while the functions go through a proxy",
  ),
  // Read by serverless.yml's local stage (custom.offlineEventBridge), not by this module; checked here so a typo
  // fails `npm start` with the setting's name.
  LOCAL_EVENTBUS_RETRY_BASE_MS: doc(
    z.coerce.number().int().min(0).default(eventBusBackoff.baseDelayMs),
    "the local EventBridge's first backoff between retries of a delivery, in ms (doubling, with full jitter)",
  ),
  LOCAL_EVENTBUS_RETRY_MAX_MS: doc(
    z.coerce.number().int().min(0).default(eventBusBackoff.maxDelayMs),
    'its largest backoff, in ms; the defaults spread 185 retries over about 24 h',
  ),
  KAFKA_TOPIC: doc(
    z.string().min(1).default(topics.usersCreated.name),
    'the topic the pipeline uses (created by the migrations; the functions follow)',
  ),
  KAFKA_DLQ_TOPIC: doc(
    z.string().min(1).default(topics.deadLetter.name),
    'its dead-letter topic (created by the migrations; the functions follow)',
  ),
  CASSANDRA_KEYSPACE: doc(
    z
      .string()
      .regex(/^[a-zA-Z][a-zA-Z0-9_]{0,47}$/, 'a Cassandra keyspace name')
      .default(cassandra.keyspace),
    'the keyspace of `created_users` (created by the migrations; the functions follow)',
  ),
  CONSOLE_PORT: doc(
    port.default(ports.console),
    'the pipeline console of `npm start` and `npm run console` (infra/console), on 127.0.0.1',
  ),
  PIPELINE_STATUS_INTERVAL_MS: doc(
    z.coerce.number().int().min(500).default(5000),
    '`npm start`: milliseconds between two summary lines',
  ),
  FETCH_ON_START: doc(
    flag('true').transform((v) => v !== '0' && v !== 'false'),
    '`npm start`: run fetch-users once right away',
  ),
  // Read by serverless.yml's local stage, not by this module; checked here so a typo fails `npm start` with
  // the setting's name instead of a schedule osls refuses later or never fires.
  FETCH_SCHEDULE: doc(
    z
      .string()
      .regex(/^(rate|cron)\(.+\)$/, 'expected rate(...) or cron(...)')
      .default('rate(1 minute)'),
    "how often fetch-users runs locally (FETCH_TOTAL users a run: see the functions' settings)",
  ),
  FETCH_SCHEDULE_ENABLED: doc(z.enum(['true', 'false']).default('true'), '`false` turns that schedule off'),
  SINK_BATCH_SIZE: doc(
    z.coerce.number().int().min(1).max(10_000).default(100),
    "records per sink-users invocation (the event source's `batchSize`)",
  ),
  SINK_BATCHING_WINDOW: doc(
    z.coerce.number().min(0).max(300).default(1),
    'seconds the event source may wait to fill a batch (`maximumBatchingWindow`); fractions allowed locally',
  ),
  SPARK_MASTER_PORT: doc(
    port.default(ports.sparkMaster),
    'the standalone Spark master of `stack:up --with-spark`',
  ),
  SPARK_MASTER_UI_PORT: doc(port.default(ports.sparkMasterUi), "its web UI's port (off 8080, which clashes)"),
  SPARK_WORKER_UI_PORT: doc(port.default(ports.sparkWorkerUi), "the Spark worker's web UI port"),
  SPARK_WORKER_CORES: doc(z.coerce.number().int().min(1).default(2), 'cores the Spark worker offers'),
  SPARK_WORKER_MEMORY: doc(heap.default('1g'), 'memory the Spark worker offers'),
  SPARK_DRIVER_MEMORY: doc(
    heap.default('768m'),
    "the Spark job's driver heap; with one executor of SPARK_EXECUTOR_MEMORY the pair stays within 2 GB",
  ),
  SPARK_EXECUTOR_MEMORY: doc(heap.default('768m'), "the Spark job's executor heap"),
  SPARK_JAVA_HOME: doc(
    z.string().min(1).optional(),
    'a JDK 8, 11 or 17 for Spark 3.5; unset: found under /usr/lib/jvm',
  ),
});

/** Every stack setting with its default and meaning, for the generated table. */
export function stackSettingRows(): Array<{
  name: string;
  defaultValue: string | undefined;
  meaning: string;
}> {
  return settings(envSchema.shape).map(({ name, defaultValue, doc: { meaning } }) => ({
    name,
    defaultValue,
    meaning,
  }));
}

export interface StackConfig {
  stateDir: string;
  /** Start nothing: use the servers already answering at the configured ports (e.g. docker compose). */
  external: boolean;
  jarsDir: string;
  kafka: { host: string; port: number; controllerPort: number; heap: string; version: string };
  cassandra: {
    host: string;
    port: number;
    storagePort: number;
    jmxPort: number;
    heap: string;
    version: string;
    localDataCenter: string;
    javaHome: string | undefined;
  };
  postgres: { host: string; port: number; user: string; database: string; privatePort: number };
  /**
   * The Schema Registry (Apicurio Registry): its HTTP and management ports, heap and JDK, and the database it
   * keeps its schemas in on the stack's PostgreSQL.
   */
  registry: {
    host: string;
    port: number;
    managementPort: number;
    heap: string;
    version: string;
    javaHome: string | undefined;
    database: string;
  };
  javaHome: string | undefined;
  /** The local randomuser-compatible API `npm start` runs, unless `url` points elsewhere. */
  randomuser: { port: number; url: string | undefined };
  /**
   * The local EventBridge (infra/eventbus): its PutEvents port, an endpoint that replaces it for the functions,
   * and where its own PostgreSQL is when that differs from the functions' (unset: the same).
   */
  eventBus: {
    port: number;
    endpoint: string | undefined;
    postgres: { host: string | undefined; port: number | undefined };
  };
  /** The topics and keyspace the pipeline uses, and the settings of `npm start`. */
  pipeline: {
    topic: string;
    deadLetterTopic: string;
    keyspace: string;
    statusIntervalMs: number;
    fetchOnStart: boolean;
  };
  /** The pipeline console (infra/console): the port it listens on, on 127.0.0.1 only. */
  console: { port: number };
  spark: {
    host: string;
    masterPort: number;
    masterUiPort: number;
    workerUiPort: number;
    workerCores: number;
    workerMemory: string;
    driverMemory: string;
    executorMemory: string;
    javaHome: string | undefined;
  };
}

/** Reads a `<name>` property from one of the Maven POMs under infra/local/maven. */
export function pomProperty(pom: string, name: string): string {
  const text = readFileSync(join(mavenDir, pom), 'utf8');
  const match = new RegExp(`<${name.replaceAll('.', '\\.')}>([^<]+)</`).exec(text);
  if (!match?.[1]) throw new Error(`property <${name}> is missing from ${join(mavenDir, pom)}`);
  return match[1].trim();
}

/** Parses the stack settings from an environment (defaults suit a laptop and CI). */
export function loadStackConfig(env: NodeJS.ProcessEnv = process.env): StackConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new StackError(`invalid local stack setting: ${describeIssues(parsed.error)}`, {
      code: 'STACK_CONFIG_INVALID',
      cause: parsed.error,
    });
  }
  const e = parsed.data;
  const stateDir = resolve(e.LOCAL_STACK_DIR ?? join(repoRoot, '.local'));
  return {
    stateDir,
    external: e.LOCAL_STACK_EXTERNAL,
    // Jars are shared by every state directory of this checkout: they depend only on the POMs.
    jarsDir: resolve(e.LOCAL_JARS_DIR ?? join(repoRoot, '.local', 'jars')),
    kafka: {
      host: '127.0.0.1',
      port: e.KAFKA_PORT,
      controllerPort: e.KAFKA_CONTROLLER_PORT,
      heap: e.KAFKA_HEAP,
      version: pomProperty('kafka.pom.xml', 'kafka.version'),
    },
    cassandra: {
      host: '127.0.0.1',
      port: e.CASSANDRA_PORT,
      storagePort: e.CASSANDRA_STORAGE_PORT,
      jmxPort: e.CASSANDRA_JMX_PORT,
      heap: e.CASSANDRA_HEAP,
      version: pomProperty('cassandra.pom.xml', 'cassandra.version'),
      localDataCenter: cassandra.localDataCenter,
      javaHome: e.CASSANDRA_JAVA_HOME,
    },
    postgres: {
      host: e.PGHOST,
      port: e.PGPORT,
      user: e.PGUSER ?? userInfo().username,
      database: e.PIPELINE_PGDATABASE,
      privatePort: e.LOCAL_PG_PORT,
    },
    registry: {
      host: '127.0.0.1',
      port: e.REGISTRY_PORT,
      managementPort: e.REGISTRY_MANAGEMENT_PORT,
      heap: e.REGISTRY_HEAP,
      version: pomProperty('registry.pom.xml', 'registry.version'),
      javaHome: e.REGISTRY_JAVA_HOME,
      database: e.REGISTRY_PGDATABASE,
    },
    javaHome: e.JAVA_HOME,
    randomuser: { port: e.RANDOMUSER_PORT, url: e.RANDOMUSER_URL },
    eventBus: {
      port: e.LOCAL_EVENTBUS_PORT,
      endpoint: e.EVENTBRIDGE_ENDPOINT,
      postgres: { host: e.LOCAL_EVENTBUS_PGHOST, port: e.LOCAL_EVENTBUS_PGPORT },
    },
    pipeline: {
      topic: e.KAFKA_TOPIC,
      deadLetterTopic: e.KAFKA_DLQ_TOPIC,
      keyspace: e.CASSANDRA_KEYSPACE,
      statusIntervalMs: e.PIPELINE_STATUS_INTERVAL_MS,
      fetchOnStart: e.FETCH_ON_START,
    },
    console: { port: e.CONSOLE_PORT },
    spark: {
      host: '127.0.0.1',
      masterPort: e.SPARK_MASTER_PORT,
      masterUiPort: e.SPARK_MASTER_UI_PORT,
      workerUiPort: e.SPARK_WORKER_UI_PORT,
      workerCores: e.SPARK_WORKER_CORES,
      workerMemory: e.SPARK_WORKER_MEMORY,
      driverMemory: e.SPARK_DRIVER_MEMORY,
      executorMemory: e.SPARK_EXECUTOR_MEMORY,
      javaHome: e.SPARK_JAVA_HOME,
    },
  };
}

/** Where clients reach the stack's Kafka broker: `host:port`, as a bootstrap-servers list takes it. */
export function kafkaBroker(cfg: Pick<StackConfig, 'kafka'>): string {
  return `${cfg.kafka.host}:${cfg.kafka.port}`;
}

/** Where clients reach the stack's Cassandra node: `host:port`, as a contact-points list takes it. */
export function cassandraContactPoint(cfg: Pick<StackConfig, 'cassandra'>): string {
  return `${cfg.cassandra.host}:${cfg.cassandra.port}`;
}

/**
 * The base URL of the Schema Registry's Confluent-compatible API, as Confluent clients take it
 * (`http://127.0.0.1:8081/apis/ccompat/v7`).
 */
export function schemaRegistryUrl(cfg: Pick<StackConfig, 'registry'>): string {
  return `http://${cfg.registry.host}:${cfg.registry.port}${schemaRegistryCompatPath}`;
}

/** A stack process's marker: text on its command line that proves a live pid is this stack's `name` at `dir`. */
export function serviceMarker(name: string, dir: string): string {
  return `-D${serviceName}.service=${name}@${dir}`;
}

/**
 * Broker settings of the single-node KRaft cluster (broker and controller in one process).
 * The docker-compose file sets the same values through the apache/kafka image's KAFKA_* variables.
 */
export function kafkaSettings(cfg: StackConfig): Record<string, string> {
  const { host, port, controllerPort } = cfg.kafka;
  return {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.bootstrap.servers': `${host}:${controllerPort}`,
    listeners: `PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    // `format --standalone` takes the controller from the advertised CONTROLLER listener, so advertise it.
    'advertised.listeners': `PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'num.partitions': '1',
    'auto.create.topics.enable': 'false',
    'offsets.topic.replication.factor': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
  };
}

/** `server.properties` for the local broker, with its log directory. */
export function kafkaServerProperties(cfg: StackConfig, logDir: string): string {
  const settings = { ...kafkaSettings(cfg), 'log.dirs': logDir };
  return `${Object.entries(settings)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}

/** Cassandra settings shared by the local node and the compose service. */
export function cassandraSettings(cfg: StackConfig) {
  return {
    cluster_name: serviceName,
    num_tokens: 1,
    endpoint_snitch: 'SimpleSnitch',
    native_transport_port: cfg.cassandra.port,
    storage_port: cfg.cassandra.storagePort,
  } as const;
}

/** A minimal `cassandra.yaml` for a single local node whose state lives under `dataRoot`. */
export function cassandraYaml(cfg: StackConfig, dataRoot: string): string {
  const s = cassandraSettings(cfg);
  const host = cfg.cassandra.host;
  return `# Generated by infra/local/config.ts: edit that file, not this one.
cluster_name: ${s.cluster_name}
num_tokens: ${s.num_tokens}
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: ${s.endpoint_snitch}
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "${host}:${s.storage_port}"
listen_address: ${host}
rpc_address: ${host}
storage_port: ${s.storage_port}
native_transport_port: ${s.native_transport_port}
start_native_transport: true
# A write is acknowledged once its commit log entry is on disk, as a write to Amazon Keyspaces is durable once
# acknowledged: the sink commits its Kafka offsets on that acknowledgement. Cassandra's default (periodic,
# 10 s) acknowledges first, and a SIGKILL of the node then loses up to 10 s of acknowledged writes, since
# replay stops at the last sync. Concurrent writes share a sync.
commitlog_sync: batch
# Batches as Amazon Keyspaces takes them: up to ${limits.keyspacesMaxBatch} rows, whatever their partitions (the sink's
# unlogged batches, CASSANDRA_BATCH_SIZE). Cassandra's defaults warn from 5 KiB and 10 partitions and refuse from
# 50 KiB: each of the sink's batches of 10 rows (about 14 KiB) drew a warning, logged by the node and sent back
# to the driver, 100 a second under load, and a batch of 30 long rows would be refused here but not on Keyspaces.
batch_size_warn_threshold: 256KiB
batch_size_fail_threshold: 1024KiB
unlogged_batch_across_partitions_warn_threshold: ${limits.keyspacesMaxBatch}
data_file_directories:
  - ${join(dataRoot, 'data')}
commitlog_directory: ${join(dataRoot, 'commitlog')}
saved_caches_directory: ${join(dataRoot, 'saved_caches')}
hints_directory: ${join(dataRoot, 'hints')}
cdc_raw_directory: ${join(dataRoot, 'cdc_raw')}
# Small caches and pools: one laptop node, shared with Kafka, Spark and the functions.
key_cache_size: 16MiB
file_cache_size: 64MiB
concurrent_reads: 8
concurrent_writes: 16
concurrent_counter_writes: 8
concurrent_compactors: 1
# A table's memtable is flushed when the pool is a third full (memtable_cleanup_threshold, with two flush
# writers): about 95,000 of the sink's rows in 512 MiB, where 128 MiB flushed every 24,000 (8 s at 3,000 users/s)
# and set off a compaction of four sstables every fourth flush, each taking one of a laptop's few cores while
# the pipeline waited for it. Fewer, larger flushes compact less in all. 512 MiB is a third of the 1.5 GB heap
# (Cassandra's default is a quarter); bench/results/optimizations.md has the runs that chose it.
memtable_heap_space: 512MiB
memtable_offheap_space: 128MiB
# Local tests create and drop many tables; snapshots on drop would only fill the disk.
auto_snapshot: false
`;
}

/**
 * Apicurio Registry settings shared by the local registry and the compose service, as Quarkus property names
 * (the image takes each as the environment variable Quarkus derives from it: `apicurio.storage.kind` is
 * `APICURIO_STORAGE_KIND`).
 */
export function registrySettings(): Record<string, string> {
  return {
    // PostgreSQL, so schemas and their ids survive a restart; the default is an H2 database in memory.
    'apicurio.storage.kind': 'sql',
    'apicurio.storage.sql.kind': 'postgresql',
    // Apicurio holds 20 connections from the start by default; the stack's PostgreSQL is shared with the
    // pipeline, the local EventBridge and the tests, within its 100 connections.
    'apicurio.datasource.jdbc.initial-size': '1',
    'apicurio.datasource.jdbc.min-size': '1',
    'apicurio.datasource.jdbc.max-size': '10',
    // A line per request, and `stack:status` and the console ask for its health every few seconds.
    'quarkus.http.access-log.enabled': 'false',
  };
}

/** The registry's JVM options, locally and in the compose service: its heap and how it compiles. */
export function registryJvmOptions(cfg: Pick<StackConfig, 'registry'>): string[] {
  return [
    `-Xmx${cfg.registry.heap}`,
    // C1 only: a local registry answers a few requests a second, and without C2's compiler threads it started
    // in about 5 s instead of 7 and held about 200 MiB instead of 235 on the 2-core machine (infra/local/README.md).
    '-XX:TieredStopAtLevel=1',
    '-XX:+ExitOnOutOfMemoryError',
  ];
}

/** The JDBC URL of the registry's database on a PostgreSQL server. */
export function registryDatasourceUrl(
  cfg: Pick<StackConfig, 'registry'>,
  postgres: { host: string; port: number },
): string {
  return `jdbc:postgresql://${postgres.host}:${postgres.port}/${cfg.registry.database}`;
}

/**
 * Every property the local registry runs with: {@link registrySettings}, its two ports bound to 127.0.0.1 (Quarkus
 * binds the management interface to 0.0.0.0 unless told), and its database on the stack's PostgreSQL.
 */
export function registryProperties(
  cfg: Pick<StackConfig, 'registry'>,
  postgres: { host: string; port: number; user: string },
): Record<string, string> {
  const { host, port, managementPort } = cfg.registry;
  return {
    ...registrySettings(),
    'quarkus.http.host': host,
    'quarkus.http.port': String(port),
    'quarkus.management.host': host,
    'quarkus.management.port': String(managementPort),
    'apicurio.datasource.url': registryDatasourceUrl(cfg, postgres),
    'apicurio.datasource.username': postgres.user,
    // Apicurio's own format prints the zone offset in place of the month's separator (`2026-12+00-06`).
    'quarkus.log.console.format': '%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p [%c{3.}] (%t) %s%e%n',
  };
}
