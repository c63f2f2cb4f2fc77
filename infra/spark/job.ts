/**
 * infra/spark holds the Spark Structured Streaming job (a Maven project under `src/`, which reads the
 * `users_created` topic into Cassandra as sink-users does, and is held to the same mapping vectors) and the
 * TypeScript that builds and submits it (`npm run spark:submit`). It builds on the stack (infra/local: its
 * config, toolchain, the Spark jars and the master and worker services of `stack:up --with-spark`), which
 * never imports it.
 *
 * This module builds and launches the job the way `npm run spark:submit` and the tests run it: the thin job
 * jar is rebuilt with `mvn package` whenever its sources changed (a hash stamp, as for the server jars), the
 * runtime jars come from the stack's Maven cache, and the driver JVM gets Spark's Java 17 flags, a heap cap
 * and the stack's marker on its command line. On a standalone master the job jar is shipped to the executors
 * through `spark.jars`; everything else is already in the Worker's SPARK_HOME.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { repoRoot } from '../../lib/paths.ts';
import { topics } from '../../lib/topology.ts';
import { cassandraContactPoint, kafkaBroker, type StackConfig, serviceMarker } from '../local/config.ts';
import { StackError } from '../local/errors.ts';
import {
  ensureSparkJars,
  findSparkJava,
  prepareSparkHome,
  SPARK_JDK17_OPTIONS,
  sparkEnv,
} from '../local/spark.ts';
import { checkMaven } from '../local/toolchain.ts';

const run = promisify(execFile);

export const jobDir = join(repoRoot, 'infra', 'spark');
export const jobJar = join(jobDir, 'target', 'users-stream.jar');
export const mainClass = 'pipeline.spark.UsersStream';

/** Everything the jar is built from, or tested against while it is built. */
function jobInputs(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
    );
  return [
    join(jobDir, 'pom.xml'),
    ...walk(join(jobDir, 'src')),
    join(repoRoot, 'events', 'schemas', 'users-created.value.v1.json'),
    join(repoRoot, 'test', 'fixtures', 'mapping-vectors.json'),
  ].sort();
}

/** A hash of the job's inputs, paths included, so a rename rebuilds too. */
export function jobSourceHash(): string {
  const hash = createHash('sha256');
  for (const file of jobInputs())
    hash.update(relative(repoRoot, file)).update('\0').update(readFileSync(file));
  return hash.digest('hex');
}

/**
 * The job jar, built first when it is missing or its sources changed since it was built. The build runs the
 * job's unit tests (the shared mapping vectors), so a mapping that drifted from sink-users fails here.
 */
export async function ensureJobJar(log: (line: string) => void = () => undefined): Promise<string> {
  const stamp = `${jobJar}.sha256`;
  const hash = jobSourceHash();
  if (existsSync(jobJar) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === hash) return jobJar;
  await checkMaven();
  log('building the Spark job (mvn package)…');
  const t0 = performance.now();
  try {
    await run('mvn', ['-B', '-q', 'package'], { cwd: jobDir, maxBuffer: 32 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    const output = `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-40).join('\n');
    throw new StackError(`mvn package failed in ${jobDir}:\n${output}`, { cause: error });
  }
  await writeFile(stamp, `${hash}\n`);
  log(`built ${relative(repoRoot, jobJar)} in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
  return jobJar;
}

/** How to run the job; each field maps to one of the job's own options (see Options.java). */
export interface JobOptions {
  /** `local[2]` (default) or `spark://host:port`. */
  master?: string;
  topic?: string;
  keyspace?: string;
  parity?: boolean;
  /** Defaults to `.local/spark/checkpoints/<topic>`. */
  checkpoint?: string;
  startingOffsets?: 'earliest' | 'latest';
  maxOffsetsPerTrigger?: number;
  watermark?: string;
  trigger?: string;
  conf?: Record<string, string>;
  /** Passed to the job as they are, after the options above. */
  extraArgs?: readonly string[];
}

/**
 * The options of `spark:submit`: the ones the launcher itself needs (master, checkpoint, topic) are taken out;
 * the rest go to the job unchanged.
 */
export function submitOptions(argv: readonly string[]): JobOptions {
  const opts: JobOptions = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const value = argv[i + 1];
    if ((arg === '--master' || arg === '--checkpoint' || arg === '--topic') && value !== undefined) {
      if (arg === '--master') opts.master = value;
      if (arg === '--checkpoint') opts.checkpoint = value;
      if (arg === '--topic') opts.topic = value;
      i++;
    } else {
      rest.push(arg);
    }
  }
  opts.extraArgs = rest;
  return opts;
}

/** The job's default checkpoint folder for a topic, under the stack's `.local/`. */
export function defaultCheckpoint(cfg: StackConfig, topic: string): string {
  return join(cfg.stateDir, 'spark', 'checkpoints', topic);
}

/** Marks a job's JVM, as the stack marks its servers, so it can be found and told apart. */
export function jobMarker(checkpoint: string): string {
  return serviceMarker('spark-job', checkpoint);
}

/** The arguments of the driver JVM (after `java`), pure so the unit tests can check them. */
export function driverArgs(
  cfg: StackConfig,
  opts: JobOptions,
  paths: { jobJar: string; jars: string },
): { args: string[]; checkpoint: string } {
  const master = opts.master ?? 'local[2]';
  const topic = opts.topic ?? topics.usersCreated.name;
  const checkpoint = opts.checkpoint ?? defaultCheckpoint(cfg, topic);
  const conf: Record<string, string> = {};
  if (master.startsWith('spark://')) {
    // The executors get Spark and the connectors from the Worker's SPARK_HOME, and the job's classes from here.
    conf['spark.jars'] = paths.jobJar;
    conf['spark.driver.host'] = cfg.spark.host;
    conf['spark.driver.bindAddress'] = cfg.spark.host;
    conf['spark.executor.memory'] = cfg.spark.executorMemory;
    conf['spark.cores.max'] = String(cfg.spark.workerCores);
  }
  Object.assign(conf, opts.conf);
  const job = [
    '--master',
    master,
    '--bootstrap-servers',
    kafkaBroker(cfg),
    '--topic',
    topic,
    '--cassandra',
    cassandraContactPoint(cfg),
    '--cassandra-dc',
    cfg.cassandra.localDataCenter,
    '--checkpoint',
    checkpoint,
    ...(opts.keyspace ? ['--keyspace', opts.keyspace] : []),
    ...(opts.parity ? ['--parity'] : []),
    ...(opts.startingOffsets ? ['--starting-offsets', opts.startingOffsets] : []),
    ...(opts.maxOffsetsPerTrigger ? ['--max-offsets-per-trigger', String(opts.maxOffsetsPerTrigger)] : []),
    ...(opts.watermark ? ['--watermark', opts.watermark] : []),
    ...(opts.trigger ? ['--trigger', opts.trigger] : []),
    ...Object.entries(conf).flatMap(([k, v]) => ['--conf', `${k}=${v}`]),
    ...(opts.extraArgs ?? []),
  ];
  const args = [
    `-Xmx${cfg.spark.driverMemory}`,
    '-XX:+ExitOnOutOfMemoryError',
    ...SPARK_JDK17_OPTIONS,
    jobMarker(checkpoint),
    '-cp',
    `${paths.jobJar}:${paths.jars}/*`,
    mainClass,
    ...job,
  ];
  return { args, checkpoint };
}

/** Builds what is missing and returns the driver's command line and environment. */
export async function prepareJob(
  cfg: StackConfig,
  opts: JobOptions,
  log: (line: string) => void = () => undefined,
): Promise<{ command: string; args: string[]; env: NodeJS.ProcessEnv; checkpoint: string }> {
  const jar = await ensureJobJar(log);
  const jars = await ensureSparkJars(cfg);
  const jdk = await findSparkJava(cfg);
  const { args, checkpoint } = driverArgs(cfg, opts, { jobJar: jar, jars });
  await mkdir(dirname(checkpoint), { recursive: true });
  return { command: jdk.java, args, env: sparkEnv(jdk, await prepareSparkHome(cfg, jars)), checkpoint };
}

/** One micro-batch, as the job prints it. */
export interface BatchProgress {
  query: string;
  batch: number;
  rowsIn: number;
  rowsPerSecond: number;
  durationMs: number;
  watermark: string;
  rejected: number;
}

/** The first batch of a query that carried data. */
export interface FirstBatch {
  query: string;
  rowsIn: number;
  durationMs: number;
  sinceJvmStartMs: number;
}

function fields(line: string): Map<string, string> {
  return new Map(
    line
      .split(' ')
      .map((part) => part.split('='))
      .filter((kv): kv is [string, string] => kv.length === 2 && kv[0] !== undefined && kv[1] !== undefined),
  );
}

/** Reads a `users-stream batch …` line; undefined for any other line. */
export function parseBatchLine(line: string): BatchProgress | undefined {
  if (!line.startsWith('users-stream batch ')) return undefined;
  const f = fields(line);
  return {
    query: f.get('query') ?? '',
    batch: Number(f.get('batch')),
    rowsIn: Number(f.get('rows_in')),
    rowsPerSecond: Number(f.get('rows_per_s')),
    durationMs: Number(f.get('duration_ms')),
    watermark: f.get('watermark') ?? '-',
    rejected: Number(f.get('rejected')),
  };
}

/** Reads a `users-stream first_batch …` line; undefined for any other line. */
export function parseFirstBatchLine(line: string): FirstBatch | undefined {
  if (!line.startsWith('users-stream first_batch ')) return undefined;
  const f = fields(line);
  return {
    query: f.get('query') ?? '',
    rowsIn: Number(f.get('rows_in')),
    durationMs: Number(f.get('duration_ms')),
    sinceJvmStartMs: Number(f.get('since_jvm_start_ms')),
  };
}

/**
 * Rows per second over the batches after a query's first one with data: the steady rate, without the first
 * batch's start-up (code generation, connections). Undefined until there are such batches.
 */
export function steadyRowsPerSecond(batches: readonly BatchProgress[], query: string): number | undefined {
  const withData = batches.filter((b) => b.query === query && b.rowsIn > 0);
  const steady = withData.slice(1);
  const rows = steady.reduce((sum, b) => sum + b.rowsIn, 0);
  const ms = steady.reduce((sum, b) => sum + b.durationMs, 0);
  return rows > 0 && ms > 0 ? (rows * 1000) / ms : undefined;
}

/** A job started by {@link startJob}. */
export interface RunningJob {
  pid: number;
  checkpoint: string;
  /** Every stdout line so far. */
  lines: string[];
  batches: BatchProgress[];
  /** Resolves with the exit code (or the signal) when the JVM has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  isRunning(): boolean;
  /** Sends `signal` and waits for the JVM to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts the job in the background: stdout is kept line by line (and parsed), stderr (Spark's own log) goes
 * to `logFile`.
 */
export async function startJob(
  cfg: StackConfig,
  opts: JobOptions,
  logFile: string,
  log: (line: string) => void = () => undefined,
): Promise<RunningJob> {
  const { command, args, env, checkpoint } = await prepareJob(cfg, opts, log);
  await mkdir(dirname(logFile), { recursive: true });
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new StackError(`could not start ${command}`);
  const stderr = createWriteStream(logFile, { flags: 'a' });
  child.stderr.pipe(stderr);
  const lines: string[] = [];
  const batches: BatchProgress[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    const batch = parseBatchLine(line);
    if (batch) batches.push(batch);
  });
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
  });
  return {
    pid,
    checkpoint,
    lines,
    batches,
    exited,
    isRunning: () => running,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (running) child.kill(signal);
      const grace = setTimeout(() => running && child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(grace);
      stderr.end();
    },
  };
}
