/**
 * A private copy of the pipeline for one benchmark phase: its own topic (with the partition count under
 * test), dead-letter topic, keyspace and database, migrated like the real ones, and `sls offline start` on
 * them with the sink's batch size and batching window under test. The fetch schedule is off: the benchmark
 * feeds the pipeline itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import cassandra from 'cassandra-driver';
import { logLevel } from 'kafkajs';
import pg from 'pg';
import { signalGroup } from '../../infra/dev/offline.ts';
import { cassandraContactPoint, kafkaBroker, type StackConfig } from '../../infra/local/config.ts';
import { resolvePostgres, stackConnection } from '../../infra/local/endpoints.ts';
import { functionEnv } from '../../infra/local/function-env.ts';
import { portOpen, waitFor } from '../../infra/local/proc.ts';
import { migrate } from '../../infra/migrations/migrate.ts';
import { Kafka } from '../../lib/kafkajs.ts';
import { repoRoot } from '../../lib/paths.ts';
import { ports, sinkGroupId, topics } from '../../lib/topology.ts';

/** The names one phase runs under. */
export interface RunNames {
  topic: string;
  deadLetterTopic: string;
  keyspace: string;
  database: string;
}

/** Fresh names for a phase: `bench_<what>_<time>_<random>`, valid as a topic, keyspace and database. */
export function runNames(what: string): RunNames {
  const run = `bench_${what}_${Date.now().toString(36)}_${randomBytes(2).toString('hex')}`;
  return { topic: `${run}_users`, deadLetterTopic: `${run}_users.dlq`, keyspace: run, database: run };
}

/** Clients for one phase's names, for seeding and measuring. */
export interface RunClients {
  names: RunNames;
  pool: pg.Pool;
  cql: cassandra.Client;
  kafka: Kafka;
  close(): Promise<void>;
}

/** Creates the phase's topics, keyspace and database with the real migrations, and opens clients on them. */
export async function prepareRun(cfg: StackConfig, names: RunNames, partitions: number): Promise<RunClients> {
  await migrate(undefined, {
    config: cfg,
    postgres: { database: names.database },
    cassandra: { keyspace: names.keyspace },
    kafka: {
      topics: [
        { topic: names.topic, numPartitions: partitions },
        { topic: names.deadLetterTopic, numPartitions: topics.deadLetter.partitions },
      ],
    },
  });
  const endpoint = resolvePostgres(cfg);
  const pool = new pg.Pool({ ...stackConnection(endpoint, names.database), max: 8 });
  pool.on('error', () => {});
  const cql = cassandraFor(cfg, names.keyspace);
  const kafka = kafkaFor(cfg, 'bench');
  return {
    names,
    pool,
    cql,
    kafka,
    async close() {
      await Promise.allSettled([pool.end(), cql.shutdown()]);
    },
  };
}

/** A Cassandra client on the stack; its long read timeout lets full-table scans and DROPs finish. */
function cassandraFor(cfg: StackConfig, keyspace?: string): cassandra.Client {
  return new cassandra.Client({
    contactPoints: [cassandraContactPoint(cfg)],
    localDataCenter: cfg.cassandra.localDataCenter,
    ...(keyspace === undefined ? {} : { keyspace }),
    socketOptions: { readTimeout: 60_000 },
  });
}

function kafkaFor(cfg: StackConfig, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: [kafkaBroker(cfg)],
    logLevel: logLevel.NOTHING,
  });
}

/** Drops a phase's topics, keyspace and database; what is already gone is fine. */
export async function dropRun(cfg: StackConfig, names: RunNames): Promise<void> {
  const mine = new Set(Object.values(names));
  await dropWhere(cfg, (name) => mine.has(name));
}

/**
 * Drops every `bench_` topic, keyspace and database: what an interrupted run left. Only one benchmark runs at a
 * time on a stack, so at the start of a run none of them is in use.
 *
 * @returns how many were dropped
 */
export function dropLeftovers(cfg: StackConfig): Promise<number> {
  return dropWhere(cfg, (name) => name.startsWith('bench_'));
}

/** Drops the keyspaces, topics and databases whose names `matches` accepts; returns how many. */
async function dropWhere(cfg: StackConfig, matches: (name: string) => boolean): Promise<number> {
  let dropped = 0;
  const cql = cassandraFor(cfg);
  try {
    const keyspaces = await cql.execute('SELECT keyspace_name FROM system_schema.keyspaces');
    for (const row of keyspaces.rows) {
      const name = String(row.get('keyspace_name'));
      if (!matches(name)) continue;
      await cql.execute(`DROP KEYSPACE IF EXISTS ${name}`);
      dropped++;
    }
  } finally {
    await cql.shutdown();
  }
  const admin = kafkaFor(cfg, 'bench-cleanup').admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter(matches);
    if (topics.length > 0) await admin.deleteTopics({ topics });
    dropped += topics.length;
  } finally {
    await admin.disconnect();
  }
  const db = new pg.Client(stackConnection(resolvePostgres(cfg)));
  await db.connect();
  try {
    const databases = await db.query<{ name: string }>('SELECT datname AS name FROM pg_database');
    for (const { name } of databases.rows) {
      if (!matches(name)) continue;
      await db.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      dropped++;
    }
  } finally {
    await db.end();
  }
  return dropped;
}

/** A watch pattern no file matches: serverless-esbuild's watcher then never rebuilds during a run. */
const esbuildWatchOff = '.local/bench-no-rebuild/**';

/**
 * When sink-users' bundle was last written (ms since the epoch), or undefined before it has been.
 * `sls offline start` runs serverless-esbuild's watcher, whose default pattern is every .js and .ts file of
 * the repository: any edit rebuilds the functions into `.esbuild/.build/` and has serverless-offline drop its
 * workers, so a measurement across it timed cold workers and a rebuild beside the sink. The bench's runs turn
 * the watcher off (`esbuildWatchOff`); comparing this before and after a measurement still tells whether a
 * rebuild happened (by another `sls offline start` sharing `.esbuild/`, for one).
 */
export function sinkBundleStamp(): number | undefined {
  try {
    return statSync(join(repoRoot, '.esbuild', '.build', 'functions', 'sink-users', 'handler.cjs')).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The sink settings a phase runs serverless-offline with. */
export interface SinkSettings {
  batchSize: number;
  /** The event source's batching window, in milliseconds. */
  batchingWindowMs: number;
}

/** A running `sls offline start` on a phase's names. */
export interface OfflinePipeline {
  pid: number;
  /** Invocations of sink-users the event source has logged so far, and the records they carried. */
  sinkInvocations(): { invocations: number; records: number };
  /** The last lines it printed, for errors. */
  tail(): string;
  /** Ctrl-C to the process group, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

// `sink-users 0 100 records @0..99 in 12 ms: ok` (infra/offline-kafka/batch.ts formatLog).
const invocationLine = /\bsink-users \S+ (\d+) records? @\S+ in \d+ ms: (\S+)/;

/**
 * Starts `sls offline start` on `names` and waits until it serves the Invoke API and the sink's event source
 * has joined its group.
 *
 * @throws when it exits or is not ready within three minutes; the error holds its last output lines
 */
export async function startOffline(
  cfg: StackConfig,
  names: RunNames,
  sink: SinkSettings,
  env: Record<string, string> = {},
): Promise<OfflinePipeline> {
  // BENCH_SLS_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, profiles serverless-offline and its
  // workers (Node refuses --cpu-prof in NODE_OPTIONS).
  const nodeArgs = (process.env.BENCH_SLS_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const sls = join(repoRoot, 'node_modules', 'serverless', 'bin', 'serverless.js');
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, sls, 'offline', 'start'], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...functionEnv(cfg, names),
      FETCH_SCHEDULE_ENABLED: 'false',
      SINK_BATCH_SIZE: String(sink.batchSize),
      SINK_BATCHING_WINDOW: String(sink.batchingWindowMs / 1000),
      // What a deployed stage logs; the local stage's DEBUG would make the benchmark measure logging.
      LOG_LEVEL: 'INFO',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // No rebuild mid-measurement when a file of the repository is edited (serverless.yml custom.esbuild.watch).
      ESBUILD_WATCH_PATTERN: esbuildWatchOff,
      // The event source's line per invocation is DEBUG under the mapping's loggingConfig (WARN in serverless.yml);
      // the report counts invocations from those lines (sinkInvocations).
      OFFLINE_KAFKA_SYSTEM_LOG_LEVEL: 'DEBUG',
      ...env,
    },
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('sls offline start did not start');
  const lines: string[] = [];
  let invocations = 0;
  let records = 0;
  let consuming = false;
  const onLine = (line: string) => {
    lines.push(line);
    if (lines.length > 200) lines.shift();
    const m = invocationLine.exec(line);
    if (m) {
      invocations++;
      records += Number(m[1]);
    } else if (line.includes(`sink-users: consuming ${names.topic}`)) consuming = true;
  };
  if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
  if (child.stderr) createInterface({ input: child.stderr }).on('line', onLine);
  let exitCode: number | string | undefined;
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      exitCode = code ?? signal ?? 'unknown';
      resolve();
    }),
  );
  const group = (signal: NodeJS.Signals) => signalGroup(child, signal);
  const tail = () => lines.slice(-30).join('\n');
  const handle: OfflinePipeline = {
    pid,
    sinkInvocations: () => ({ invocations, records }),
    tail,
    async stop(graceMs = 40_000) {
      if (exitCode === undefined) {
        group('SIGINT');
        const timer = setTimeout(() => group('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      group('SIGKILL');
    },
  };
  const ready = await waitFor(
    async () => {
      if (exitCode !== undefined) return 'exited';
      return consuming && (await portOpen('127.0.0.1', ports.offlineLambda)) ? 'ready' : undefined;
    },
    { timeoutMs: 180_000 },
  );
  if (ready !== 'ready') {
    await handle.stop(5_000);
    throw new Error(
      `sls offline start ${ready === 'exited' ? `exited (${exitCode})` : 'was not ready within 180 s'}:\n${tail()}`,
    );
  }
  return handle;
}

/**
 * Records the sink has consumed from `topic`: the sum of its group's committed offsets (0 where it has
 * committed nothing). The event source commits only after sink-users succeeded, so these rows are written.
 */
export async function sinkConsumed(admin: ReturnType<Kafka['admin']>, topic: string): Promise<number> {
  const [committed] = await admin.fetchOffsets({ groupId: sinkGroupId, topics: [topic] });
  return (committed?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
}

/**
 * Waits until the sink has consumed `expected` records of `topic` (by its committed offsets, cheap to read),
 * so that nothing polls Cassandra while the sink is being measured.
 */
export async function waitForConsumed(
  kafka: Kafka,
  topic: string,
  expected: number,
  timeoutMs = 600_000,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (let consumed = 0; consumed < expected; consumed = await sinkConsumed(admin, topic)) {
      if (Date.now() > deadline) {
        throw new Error(
          `the sink consumed ${consumed} of ${expected} records of ${topic} in ${timeoutMs / 1000} s`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await admin.disconnect();
  }
}
