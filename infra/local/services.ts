/**
 * The local servers as data: how to prepare each one's state, the command that runs it, its ports, its health
 * check, and the log lines that mean its state is corrupt. `stack.ts` drives them uniformly. Kafka, Cassandra
 * and the private PostgreSQL are here; the Schema Registry (registry.ts) and Spark (spark.ts) have modules of
 * their own.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cassandraYaml, kafkaServerProperties, type StackConfig, serviceMarker } from './config.ts';
import type { PostgresEndpoint } from './endpoints.ts';
import { CorruptStateError, StackError } from './errors.ts';
import { cassandraHealth, type Healthy, kafkaHealth, postgresHealth } from './health.ts';
import { ensureJars } from './jars.ts';
import { registryService } from './registry.ts';
import { type SparkServiceName, sparkServices } from './spark.ts';
import { findCassandraJava, findJava, findPostgresBin } from './toolchain.ts';

export type ServiceName = 'kafka' | 'cassandra' | 'postgres' | 'registry' | SparkServiceName;
/** The services `stack:up` starts by default; the Spark ones only with `--with-spark`. */
export const SERVICE_NAMES: readonly ServiceName[] = ['kafka', 'cassandra', 'postgres', 'registry'];

export interface Launch {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  runAs?: { uid: number; gid: number } | undefined;
  /** True when this start had to create the server's state from scratch. */
  cold: boolean;
  /** Runs once the service this one starts after is up, just before the launch (the registry makes its database). */
  before?: () => Promise<void>;
}

/** What `up` knows before any server starts, for the services whose configuration depends on it. */
export interface PrepareContext {
  /** Where the stack's PostgreSQL answers in this `up`: the machine's server, or the private cluster. */
  postgres: PostgresEndpoint;
}

export interface Service {
  name: ServiceName;
  dir: string;
  pidFile: string;
  logFile: string;
  /** Text on the command line that proves a live pid is ours. */
  marker: string;
  ports: { port: number; what: string }[];
  /** Where clients connect. */
  endpoint: { host: string; port: number };
  startTimeoutMs: number;
  stopGraceMs: number;
  /** Log patterns that mean the data directory is unusable. */
  corruptPatterns: RegExp[];
  dataDir: string;
  /** Creates configuration and state (resolving jars first); returns how to launch. */
  prepare(context: PrepareContext): Promise<Launch>;
  health(): Promise<Healthy | undefined>;
  version: string;
  /**
   * Started only once this service is healthy: a Spark Worker registers with its Master when it starts, and the
   * registry needs its database.
   */
  startsAfter?: ServiceName;
}

const execFileAsync = promisify(execFile);
const VERSION_STAMP = 'STATE_VERSION';

/** The version a state directory was created by, from the stamp written when it was created. */
export function stateVersion(dir: string): string | undefined {
  const file = join(dir, VERSION_STAMP);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

const majorMinor = (v: string) => v.split('.').slice(0, 2).join('.');

/**
 * Refuses a state directory made by another major.minor version (or of unknown origin): Kafka metadata and
 * Cassandra SSTables are not guaranteed to go back and forth across those.
 */
function checkStateVersion(service: string, serviceDir: string, dataDir: string, version: string): void {
  const stamped = stateVersion(serviceDir);
  if (stamped === undefined) {
    throw new CorruptStateError(
      service,
      `its data was not created by this stack (no ${VERSION_STAMP} stamp)`,
      dataDir,
    );
  }
  if (majorMinor(stamped) !== majorMinor(version)) {
    throw new CorruptStateError(
      service,
      `it was created by ${service} ${stamped}, and this stack runs ${version}`,
      dataDir,
    );
  }
}

const hasEntries = (dir: string) => existsSync(dir) && readdirSync(dir).length > 0;

/**
 * Kafka ids are 16 random bytes in URL-safe base64 without padding, as `kafka-storage random-uuid` prints.
 * Like Kafka's own `Uuid.randomUuid`, it never starts with `-`: the storage tool's argument parser reads
 * `-t -abc…` as a missing value followed by an unknown option, and one fresh stack in 64 failed to format.
 *
 * @param random - the source of the 16 bytes (tests give a fixed one)
 */
export function newKafkaClusterId(random: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Parses `key=value` lines (Java properties without escapes, which is all meta.properties uses). */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    if (eq > 0) out.set(trimmed.slice(0, eq).trim(), trimmed.slice(eq + 1).trim());
  }
  return out;
}

const LOG4J2 = `Configuration:
  status: warn
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.server.KafkaConfig
        level: WARN
      - name: org.apache.kafka.common.config.AbstractConfig
        level: WARN
`;

function kafka(cfg: StackConfig): Service {
  const dir = join(cfg.stateDir, 'kafka');
  const dataDir = join(dir, 'data');
  const marker = serviceMarker('kafka', dir);
  const { version } = cfg.kafka;
  const service: Service = {
    name: 'kafka',
    dir,
    dataDir,
    pidFile: join(dir, 'kafka.pid'),
    logFile: join(dir, 'kafka.log'),
    marker,
    ports: [
      { port: cfg.kafka.port, what: 'broker' },
      { port: cfg.kafka.controllerPort, what: 'controller' },
    ],
    endpoint: { host: cfg.kafka.host, port: cfg.kafka.port },
    startTimeoutMs: 120_000,
    stopGraceMs: 60_000,
    corruptPatterns: [
      /InconsistentClusterIdException/,
      /Invalid cluster\.id/i,
      /meta\.properties/,
      /CorruptRecordException/,
      /KafkaStorageException/,
      /Error while reading the Quorum status/,
      /Failed to load metadata/i,
    ],
    version,
    async prepare() {
      const jdk = await findJava(cfg.javaHome);
      const jars = await ensureJars(cfg.jarsDir, 'kafka', 'kafka.pom.xml');
      await mkdir(dir, { recursive: true });
      const props = join(dir, 'server.properties');
      const log4j = join(dir, 'log4j2.yaml');
      await writeFile(props, kafkaServerProperties(cfg, dataDir));
      await writeFile(log4j, LOG4J2);
      const classpath = `${jars}/*`;
      const jvm = [
        `-Xmx${cfg.kafka.heap}`,
        '-Xms256m',
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-XX:InitiatingHeapOccupancyPercent=35',
        '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${log4j}`,
        `-Dkafka.logs.dir=${dir}`,
        marker,
      ];
      const cold = !hasEntries(dataDir);
      if (cold) {
        await format(jdk.java, classpath, props, log4j);
        await writeFile(join(dir, VERSION_STAMP), `${version}\n`);
      } else {
        checkStateVersion('kafka', dir, dataDir, version);
        const meta = join(dataDir, 'meta.properties');
        const parsed = existsSync(meta) ? parseProperties(readFileSync(meta, 'utf8')) : undefined;
        if (!parsed?.get('cluster.id') || parsed.get('node.id') !== '1') {
          throw new CorruptStateError(
            'kafka',
            'meta.properties is missing or does not describe node 1',
            dataDir,
          );
        }
      }
      return { command: jdk.java, args: [...jvm, '-cp', classpath, 'kafka.Kafka', props], cold };
    },
    health: () => kafkaHealth(cfg.kafka.host, cfg.kafka.port, version),
  };
  return service;
}

/** Runs a one-shot tool to completion; a failure becomes a StackError carrying the tool's own output. */
async function runTool(
  what: string,
  file: string,
  args: string[],
  runAs?: { uid: number; gid: number } | undefined,
): Promise<void> {
  try {
    await execFileAsync(file, args, { maxBuffer: 10 * 1024 * 1024, ...(runAs ?? {}) });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string };
    throw new StackError(`${what} failed:\n${e.stderr || e.stdout || String(error)}`, { cause: error });
  }
}

function format(java: string, classpath: string, props: string, log4j: string): Promise<void> {
  const args = [`-Dlog4j2.configurationFile=${log4j}`, '-cp', classpath, 'kafka.tools.StorageTool', 'format'];
  return runTool('kafka storage format', java, [
    ...args,
    '-t',
    newKafkaClusterId(),
    '-c',
    props,
    '--standalone',
  ]);
}

/** JDK 17 module options from Cassandra 5.0's conf/jvm17-server.options (and the client's extra opens). */
export const CASSANDRA_JDK17_OPTIONS = [
  '-Djdk.attach.allowAttachSelf=true',
  ...[
    'java.base/jdk.internal.misc',
    'java.management.rmi/com.sun.jmx.remote.internal.rmi',
    'java.rmi/sun.rmi.registry',
    'java.rmi/sun.rmi.server',
    'java.sql/java.sql',
    'java.base/java.lang.ref',
    'jdk.unsupported/sun.misc',
    'jdk.compiler/com.sun.tools.javac.file',
    'jdk.attach/sun.tools.attach',
  ].map((m) => `--add-exports=${m}=ALL-UNNAMED`),
  ...[
    'java.base/java.lang.module',
    'java.base/jdk.internal.loader',
    'java.base/jdk.internal.ref',
    'java.base/jdk.internal.reflect',
    'java.base/jdk.internal.math',
    'java.base/jdk.internal.module',
    'java.base/jdk.internal.util.jar',
    'jdk.management/com.sun.management.internal',
    'java.base/sun.nio.ch',
    'java.base/java.io',
    'java.base/java.lang.reflect',
    'jdk.compiler/com.sun.tools.javac',
    'java.base/java.lang',
    'java.base/java.util',
    'java.base/java.net',
    'java.base/java.math',
    'java.base/java.util.concurrent',
    'java.base/java.util.concurrent.atomic',
  ].map((m) => `--add-opens=${m}=ALL-UNNAMED`),
  '-Dio.netty.tryReflectionSetAccessible=true',
];

const LOGBACK = `<configuration scan="false">
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="STDOUT"/></root>
</configuration>
`;

/**
 * A function that writes every memtable of the local node to sstables (`nodetool flush`, over the node's JMX
 * port, which it opens on 127.0.0.1 only). The benchmark calls it before each measured load, so that no load
 * inherits the flush the rows of the load before it have made due (see bench/lib/quiet.ts). The JDK and the
 * jars are resolved at the first call and kept: a benchmark run flushes about 40 times, and each resolution
 * probes the JDKs again (45 ms). A call whose resolution failed leaves the next to try again.
 */
export function cassandraFlusher(cfg: StackConfig): () => Promise<void> {
  let tool: Promise<CassandraToolchain> | undefined;
  const { dir } = cassandra(cfg);
  const { host, jmxPort } = cfg.cassandra;
  return async () => {
    tool ??= cassandraToolchain(cfg).catch((e: unknown) => {
      tool = undefined;
      throw e;
    });
    const { java, jars } = await tool;
    await runTool(`nodetool flush on Cassandra's JMX port ${host}:${jmxPort}`, java, [
      ...CASSANDRA_JDK17_OPTIONS,
      // The node's own logging configuration: without it the tool logs at DEBUG.
      `-Dlogback.configurationFile=${join(dir, 'logback.xml')}`,
      // NodeTool keeps a history of its commands under user.home/.cassandra; the stack's state folder holds it.
      `-Duser.home=${dir}`,
      '-cp',
      `${jars}/*`,
      'org.apache.cassandra.tools.NodeTool',
      '-h',
      host,
      '-p',
      String(jmxPort),
      'flush',
    ]);
  };
}

interface CassandraToolchain {
  /** The java binary of a JDK Cassandra runs on. */
  java: string;
  /** The folder of Cassandra's jars, resolved from Maven Central when missing. */
  jars: string;
}

/** What the node and its tools run with: the JDK Cassandra supports and its jars. */
async function cassandraToolchain(cfg: StackConfig): Promise<CassandraToolchain> {
  const jdk = await findCassandraJava(await findJava(cfg.javaHome), cfg.cassandra.javaHome);
  return { java: jdk.java, jars: await ensureJars(cfg.jarsDir, 'cassandra', 'cassandra.pom.xml') };
}

function cassandra(cfg: StackConfig): Service {
  const dir = join(cfg.stateDir, 'cassandra');
  const dataDir = join(dir, 'data');
  const marker = serviceMarker('cassandra', dir);
  const { version } = cfg.cassandra;
  return {
    name: 'cassandra',
    dir,
    dataDir,
    pidFile: join(dir, 'cassandra.pid'),
    logFile: join(dir, 'cassandra.log'),
    marker,
    ports: [
      { port: cfg.cassandra.port, what: 'CQL' },
      { port: cfg.cassandra.storagePort, what: 'storage' },
      { port: cfg.cassandra.jmxPort, what: 'JMX' },
    ],
    endpoint: { host: cfg.cassandra.host, port: cfg.cassandra.port },
    startTimeoutMs: 180_000,
    stopGraceMs: 60_000,
    corruptPatterns: [
      /CorruptSSTableException/,
      /CommitLogReplayException/,
      /CommitLogReadException/,
      /FSReadError/,
      /Incompatible SSTable/i,
      /Cannot read sstable/i,
      /Fatal exception during initialization/,
    ],
    version,
    async prepare() {
      const { java, jars } = await cassandraToolchain(cfg);
      const cold = !hasEntries(dataDir);
      if (cold) {
        for (const sub of ['data', 'commitlog', 'saved_caches', 'hints', 'cdc_raw']) {
          await mkdir(join(dir, sub), { recursive: true });
        }
        await writeFile(join(dir, VERSION_STAMP), `${version}\n`);
      } else {
        checkStateVersion('cassandra', dir, dataDir, version);
      }
      const yaml = join(dir, 'cassandra.yaml');
      const logback = join(dir, 'logback.xml');
      await writeFile(yaml, cassandraYaml(cfg, dir));
      await writeFile(logback, LOGBACK);
      const jamm = readdirSync(jars).find((f) => /^jamm-.*\.jar$/.test(f));
      if (!jamm)
        throw new StackError(
          `the jamm agent jar is missing from ${jars}; delete that folder to resolve again`,
        );
      const args = [
        `-Xms256m`,
        `-Xmx${cfg.cassandra.heap}`,
        '-XX:+UseG1GC',
        '-XX:+ExitOnOutOfMemoryError',
        '-Xss256k',
        ...CASSANDRA_JDK17_OPTIONS,
        `-javaagent:${join(jars, jamm)}`,
        '-Dcassandra-foreground=yes',
        `-Dcassandra.config=file://${yaml}`,
        `-Dcassandra.storagedir=${dir}`,
        `-Dcassandra.logdir=${dir}`,
        `-Dlogback.configurationFile=${logback}`,
        `-Dcassandra.jmx.local.port=${cfg.cassandra.jmxPort}`,
        '-Dcassandra.skip_wait_for_gossip_to_settle=0',
        '-Djava.net.preferIPv4Stack=true',
        marker,
        '-cp',
        `${jars}/*`,
        'org.apache.cassandra.service.CassandraDaemon',
      ];
      return { command: java, args, cold };
    },
    health: () => cassandraHealth(cfg.cassandra.host, cfg.cassandra.port, cfg.cassandra.localDataCenter),
  };
}

/**
 * The private PostgreSQL cluster, used only when nothing answers at PGHOST:PGPORT. It runs the machine's
 * own server binaries with trust authentication on 127.0.0.1 and its own port.
 */
function privatePostgres(cfg: StackConfig): Service {
  const dir = join(cfg.stateDir, 'postgres');
  const dataDir = join(dir, 'data');
  const port = cfg.postgres.privatePort;
  const marker = dataDir;
  return {
    name: 'postgres',
    dir,
    dataDir,
    pidFile: join(dir, 'postgres.pid'),
    logFile: join(dir, 'postgres.log'),
    marker,
    ports: [{ port, what: 'SQL' }],
    endpoint: { host: '127.0.0.1', port },
    startTimeoutMs: 60_000,
    stopGraceMs: 30_000,
    corruptPatterns: [
      /database files are incompatible with server/,
      /invalid checkpoint record/,
      /could not locate a valid checkpoint/,
    ],
    version: 'local',
    async prepare() {
      const bin = await findPostgresBin();
      const runAs = await postgresAccount();
      const cold = !hasEntries(dataDir);
      await mkdir(dir, { recursive: true });
      if (runAs) await chown(dir, runAs.uid, runAs.gid);
      if (cold) await initdb(bin, dataDir, cfg.postgres.user, runAs);
      return {
        command: join(bin, 'postgres'),
        // fsync off: this cluster holds local test data only, and it makes the suite much faster.
        args: [
          '-D',
          dataDir,
          '-p',
          String(port),
          '-c',
          'listen_addresses=127.0.0.1',
          '-k',
          dir,
          '-c',
          'fsync=off',
        ],
        runAs,
        cold,
      };
    },
    health: () => postgresHealth('127.0.0.1', port, cfg.postgres.user),
  };
}

/**
 * PostgreSQL refuses to run as root. When the stack runs as root (containers, CI), the server runs as the
 * `postgres` system account, which the distribution's packages create.
 */
async function postgresAccount(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const [uid, gid] = await Promise.all(
      ['-u', '-g'].map(async (flag) => Number((await execFileAsync('id', [flag, 'postgres'])).stdout.trim())),
    );
    if (uid !== undefined && gid !== undefined && uid > 0) return { uid, gid };
  } catch {
    // No such account: reported below.
  }
  throw new StackError(
    'PostgreSQL refuses to run as root and there is no `postgres` account to run it as. Run a PostgreSQL server ' +
      'yourself and point PGHOST/PGPORT at it, or run the stack as an ordinary user.',
  );
}

function initdb(
  bin: string,
  dataDir: string,
  user: string,
  runAs: { uid: number; gid: number } | undefined,
): Promise<void> {
  const args = ['-D', dataDir, '-U', user, '--auth=trust', '-E', 'UTF8', '--no-locale'];
  return runTool('initdb', join(bin, 'initdb'), args, runAs);
}

/** Builds the service definitions for a configuration. */
export function services(cfg: StackConfig): Record<ServiceName, Service> {
  return {
    kafka: kafka(cfg),
    cassandra: cassandra(cfg),
    postgres: privatePostgres(cfg),
    registry: registryService(cfg),
    ...sparkServices(cfg),
  };
}
