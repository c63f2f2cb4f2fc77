/**
 * The Spark job on the real local stack: real Kafka topics, real Cassandra keyspaces (made by the migrations,
 * one per test, so nothing here touches users_created or spark_streams), and real Spark, on local[2] and on
 * the stack's standalone Master and Worker. Each test starts its own job with its own checkpoint under
 * .local/ and stops it; the JVMs carry the stack's marker (`-Drealtime-user-pipeline.service=spark-job@…`).
 *
 * Besides its assertions, the file prints what the issue asks to measure: the first batch's latency, the
 * steady rows per second, and the peak resident memory of the driver (and executor).
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import cassandra from 'cassandra-driver';
import pidusage from 'pidusage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCassandraClient } from '../../functions/lib/cassandra.ts';
import { config as defaults } from '../../functions/lib/config.ts';
import { createKafka, createRecordSender } from '../../functions/lib/kafka.ts';
import { createLogger } from '../../functions/lib/logger.ts';
import type { User } from '../../functions/lib/schemas.ts';
import type { Config } from '../../functions/lib/settings.ts';
import { createdUserColumns, userCreated } from '../../functions/lib/users-created.ts';
import { createHandler } from '../../functions/sink-users/app.ts';
import { createUserSink } from '../../functions/sink-users/sink.ts';
import { ownedPid } from '../../infra/local/proc.ts';
import { ensureSparkJars, SPARK_SERVICE_NAMES } from '../../infra/local/spark.ts';
import { down, up } from '../../infra/local/stack.ts';
import {
  ensureJobJar,
  type JobOptions,
  parseFirstBatchLine,
  type RunningJob,
  startJob,
  steadyRowsPerSecond,
} from '../../infra/spark/job.ts';
import { readAll, toLambdaEvents } from '../helpers/kafka-events.ts';
import { mappingVectors } from '../helpers/mapping-vectors.ts';
import { freshUsers } from '../helpers/pipeline.ts';
import {
  cassandraClient,
  createKeyspace,
  createTopic,
  kafkaClient,
  stackConfig,
  uniqueName,
} from '../helpers/stack.ts';

const run = promisify(execFile);
const stack = stackConfig();
const kafka = kafkaClient(stack);
const cql = cassandraClient(stack);
const jobs: RunningJob[] = [];
const checkpoints: string[] = [];
const report: string[] = [];
let startedStandalone = false;
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

beforeAll(async () => {
  // A fresh clone has neither: both come from the repository's own POM (jars cached in ~/.m2 and .local).
  const t0 = performance.now();
  await ensureJobJar((line) => console.log(`spark: ${line}`));
  await ensureSparkJars(stack);
  report.push(`job jar and runtime jars ready in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
}, 900_000);

afterAll(async () => {
  await Promise.allSettled(jobs.map((job) => job.stop()));
  if (startedStandalone) await down(stack, { only: SPARK_SERVICE_NAMES });
  await Promise.allSettled(checkpoints.map((dir) => rm(dir, { recursive: true, force: true })));
  await Promise.allSettled([cql.shutdown()]);
  console.log(`spark measurements:\n  ${report.join('\n  ')}`);
});

/** A keyspace of this run's own, with every Cassandra migration applied (created_users, the aggregates). */
async function newKeyspace(prefix: string): Promise<string> {
  const keyspace = uniqueName(prefix);
  await createKeyspace(keyspace, stack);
  return keyspace;
}

async function newTopic(prefix: string): Promise<string> {
  const topic = uniqueName(prefix);
  await createTopic(topic, 6, stack);
  return topic;
}

/** Starts a job of this file, remembered so `afterAll` stops it whatever happens. */
async function launch(name: string, opts: JobOptions): Promise<RunningJob> {
  const job = await startJob(
    stack,
    { ...opts, conf: { 'spark.ui.enabled': 'false', ...opts.conf } },
    join(stack.stateDir, 'spark', 'test-logs', `${name}.log`),
  );
  jobs.push(job);
  return job;
}

function checkpointFor(name: string): string {
  const dir = join(stack.stateDir, 'spark', 'checkpoints', uniqueName(name));
  checkpoints.push(dir);
  return dir;
}

/** Sends values in chunks, so no request comes near the broker's size limit. */
async function send(topic: string, messages: readonly { key: string | null; value: Buffer | string }[]) {
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 250) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 250) });
    }
  } finally {
    await producer.disconnect();
  }
}

interface Event {
  user: User;
  fetchedAt: string;
}

/** `count` fresh users, their fetch times spread over five minutes after `base` (in a scrambled order). */
function events(count: number, base: number): Event[] {
  return freshUsers(count).map((user, i) => ({
    user,
    fetchedAt: new Date(base + ((i * 37) % 300) * 1000 + (i % 1000)).toISOString(),
  }));
}

function message({ user, fetchedAt }: Event) {
  return {
    key: user.login.uuid,
    value: JSON.stringify(userCreated(user, { batchId: 'spark-it', fetchedAt })),
  };
}

const countKey = (minute: string, country: string, gender: string) => `${minute} ${country} ${gender}`;

/** The counts the job must end with: users per (minute of fetchedAt, country, gender). */
function expectedCounts(all: readonly Event[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { user, fetchedAt } of all) {
    const minute = new Date(Math.floor(Date.parse(fetchedAt) / 60_000) * 60_000).toISOString();
    const key = countKey(minute, user.location.country, user.gender);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The aggregates table of `keyspace`, as the same keys; also checks that each row sits in its day's partition. */
async function storedCounts(keyspace: string): Promise<Map<string, number>> {
  const result = await cql.execute(
    `SELECT day, minute, country, gender, users FROM ${keyspace}.user_counts_by_minute`,
    [],
    { fetchSize: 20_000 },
  );
  const counts = new Map<string, number>();
  for (const row of result.rows) {
    const minute: unknown = row.get('minute');
    if (!(minute instanceof Date)) throw new Error(`minute is ${String(minute)}`);
    expect(String(row.get('day'))).toBe(minute.toISOString().slice(0, 10));
    counts.set(
      countKey(minute.toISOString(), row.get('country'), row.get('gender')),
      Number(row.get('users')),
    );
  }
  return counts;
}

const total = (counts: ReadonlyMap<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);

/** What differs between two count maps, for a failure message. */
function countDiff(want: ReadonlyMap<string, number>, got: ReadonlyMap<string, number>): string {
  const keys = new Set([...want.keys(), ...got.keys()]);
  const diffs = [...keys].filter((k) => want.get(k) !== got.get(k));
  return `${diffs.length} of ${keys.size} counts differ (sum ${total(got)} of ${total(want)}), e.g. ${diffs
    .slice(0, 5)
    .map((k) => `${k}: ${got.get(k) ?? 0} instead of ${want.get(k) ?? 0}`)
    .join('; ')}`;
}

/**
 * Polls the aggregates until they equal `want` key for key. A count that went past its value would never come
 * back, so the deadline turns double counting into a failure that shows the difference.
 */
async function untilCountsEqual(keyspace: string, want: Map<string, number>, jobsToWatch: RunningJob[]) {
  const deadline = Date.now() + 150_000;
  let got = new Map<string, number>();
  for (;;) {
    got = await storedCounts(keyspace);
    if (countDiff(want, got).startsWith('0 of')) return got;
    const dead = jobsToWatch.find((job) => !job.isRunning());
    if (dead) throw new Error(`the job exited early: ${dead.lines.slice(-5).join('\n')}`);
    if (Date.now() > deadline) throw new Error(`the aggregates never matched: ${countDiff(want, got)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Samples the resident memory of `pids()` every 250 ms; `stop` returns the peak of their sum. */
function sampleMemory(pids: () => Promise<number[]>): { stop(): Promise<number> } {
  let peak = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const list = await pids();
      if (list.length > 0) {
        const stats = await pidusage(list).catch(() => ({}) as Record<string, { memory: number }>);
        peak = Math.max(
          peak,
          Object.values(stats).reduce((sum, s) => sum + (s?.memory ?? 0), 0),
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      pidusage.clear();
      return peak;
    },
  };
}

function firstBatch(job: RunningJob, query: string) {
  return job.lines.map(parseFirstBatchLine).find((b) => b?.query === query);
}

describe('the Spark job on local[2]', () => {
  it('counts users per (minute, country, gender) exactly, duplicates and invalid records included', async () => {
    const n = 20_000;
    const [topic, keyspace] = await Promise.all([newTopic('spark_agg'), newKeyspace('spark_agg')]);
    const all = events(n, Date.UTC(2026, 0, 1, 10, 0));
    // At-least-once upstream can deliver a user twice; records that sink-users would dead-letter are not users.
    const duplicates = all.filter((_, i) => i % 20 === 0);
    const invalid = mappingVectors().filter((v) => 'rejected' in v.expect);
    await send(topic, [
      ...all.map(message),
      ...duplicates.map(message),
      ...invalid.map((v) => ({ key: null, value: v.bytes })),
    ]);
    const want = expectedCounts(all);

    const t0 = performance.now();
    const job = await launch('aggregates', {
      topic,
      keyspace,
      checkpoint: checkpointFor('agg'),
      maxOffsetsPerTrigger: 4000,
    });
    const memory = sampleMemory(async () => (job.isRunning() ? [job.pid] : []));
    const got = await untilCountsEqual(keyspace, want, [job]);
    const seconds = (performance.now() - t0) / 1000;
    // A batch writes its counts before it prints its line, so the last line can come after the counts match.
    const recordsIn = n + duplicates.length + invalid.length;
    const reported = () =>
      job.batches.filter((b) => b.query === 'aggregates').reduce((sum, b) => sum + b.rowsIn, 0);
    const deadline = Date.now() + 30_000;
    while (reported() < recordsIn && job.isRunning() && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
    }
    const peak = await memory.stop();
    await job.stop();

    expect(got).toEqual(want);
    expect(total(got)).toBe(n);
    const batches = job.batches.filter((b) => b.query === 'aggregates');
    expect(batches.map((b) => b.batch)).toEqual(batches.map((_, i) => i));
    expect(batches.reduce((sum, b) => sum + b.rowsIn, 0)).toBe(recordsIn);
    expect(batches.reduce((sum, b) => sum + b.rejected, 0)).toBe(invalid.length);
    expect(batches.filter((b) => b.rowsIn > 0).length).toBeGreaterThan(2);
    expect(peak).toBeLessThan(2 * GiB);
    const first = firstBatch(job, 'aggregates');
    report.push(
      `local[2], ${n} users + ${duplicates.length} duplicates + ${invalid.length} invalid, 4000 records per batch: ` +
        `all counts exact ${seconds.toFixed(1)}s after launch; first batch ${first?.rowsIn} rows in ` +
        `${first?.durationMs} ms, done ${first?.sinceJvmStartMs} ms after the JVM started; steady ` +
        `${steadyRowsPerSecond(job.batches, 'aggregates')?.toFixed(0)} rows/s; peak RSS ${(peak / MiB).toFixed(0)} MiB`,
    );
  }, 300_000);

  it('restarts from its checkpoint after being killed mid-stream, and counts nothing twice', async () => {
    const [topic, keyspace] = await Promise.all([newTopic('spark_restart'), newKeyspace('spark_restart')]);
    const base = Date.UTC(2026, 0, 1, 12, 0);
    const before = events(6000, base);
    await send(topic, before.map(message));
    const checkpoint = checkpointFor('restart');
    const options = { topic, keyspace, checkpoint, maxOffsetsPerTrigger: 600 };

    // Small batches, so it is still busy when killed; SIGKILL leaves no chance to tidy up.
    const first = await launch('restart-1', options);
    const midStream = () => {
      const done = first.batches.filter((b) => b.query === 'aggregates' && b.rowsIn > 0);
      return done.length >= 2 ? done : undefined;
    };
    const deadline = Date.now() + 120_000;
    while (!midStream() && first.isRunning() && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    await first.stop('SIGKILL');
    const consumed = first.batches.reduce((sum, b) => sum + b.rowsIn, 0);
    const lastBatch = Math.max(...first.batches.map((b) => b.batch));
    const countedBeforeKill = total(await storedCounts(keyspace));
    // More users arrive while it is down, and some users it had already counted come again.
    const after = events(2000, base + 60_000);
    const again = before.filter((_, i) => i % 10 === 0);
    await send(topic, [...after.map(message), ...again.map(message)]);
    const second = await launch('restart-2', options);
    const got = await untilCountsEqual(keyspace, expectedCounts([...before, ...after]), [second]);
    await second.stop();

    expect(consumed).toBeGreaterThan(0);
    expect(consumed).toBeLessThan(before.length);
    expect(countedBeforeKill).toBeLessThan(before.length);
    expect(total(got)).toBe(before.length + after.length);
    // It resumed from its checkpoint instead of starting over.
    expect(Math.min(...second.batches.map((b) => b.batch))).toBeGreaterThanOrEqual(lastBatch);
    expect(second.batches.reduce((sum, b) => sum + b.rowsIn, 0)).toBeLessThan(
      before.length + after.length + again.length,
    );
    report.push(
      `restart: killed after ${consumed} of ${before.length} records (batch ${lastBatch}); the restarted job ` +
        `read ${second.batches.reduce((sum, b) => sum + b.rowsIn, 0)} records and all ${total(got)} counts are exact`,
    );
  }, 360_000);
});

describe('parity mode on the standalone master and worker', () => {
  const vectors = mappingVectors();
  const accepted = vectors.flatMap((v) => ('row' in v.expect ? [v.expect.row] : []));

  /** `created_users` of a keyspace, as comparable rows: uuids and dates as text. */
  async function createdUsers(keyspace: string): Promise<Record<string, unknown>[]> {
    const result = await cql.execute(
      `SELECT ${createdUserColumns.join(', ')} FROM ${keyspace}.created_users`,
      [],
      {
        fetchSize: 10_000,
      },
    );
    return result.rows
      .map((row) => {
        const out: Record<string, unknown> = {};
        for (const column of createdUserColumns) {
          const value: unknown = row.get(column);
          out[column] =
            value instanceof cassandra.types.Uuid
              ? value.toString()
              : value instanceof Date
                ? value.toISOString()
                : value;
        }
        return out;
      })
      .sort((a, b) => String(a.id).localeCompare(String(b.id)));
  }

  /** sink-users over the same records, through its handler and real clients, into `keyspace`. */
  async function runSinkUsers(topic: string, keyspace: string): Promise<void> {
    const config: Config = {
      ...defaults,
      kafka: { brokers: [`${stack.kafka.host}:${stack.kafka.port}`], clientId: 'spark-parity-it' },
      cassandra: {
        contactPoints: [`${stack.cassandra.host}:${stack.cassandra.port}`],
        localDataCenter: stack.cassandra.localDataCenter,
        keyspace,
      },
    };
    const deadLetter = await newTopic('spark_parity_dlq');
    const client = createCassandraClient(config);
    const deadLetters = createRecordSender(createKafka(config));
    try {
      const handler = createHandler({
        config: { topics: { usersCreated: topic, deadLetter } },
        logger: createLogger('sink-users', { level: 'SILENT', stage: 'local' }),
        sink: createUserSink(client, config),
        deadLetters,
        now: () => new Date(),
      });
      for (const event of toLambdaEvents(await readAll(kafka, topic))) await handler(event);
    } finally {
      await Promise.allSettled([client.shutdown(), deadLetters.disconnect()]);
    }
  }

  /** The executors the Worker runs now (its child JVMs). */
  async function executorPids(): Promise<number[]> {
    const worker = await ownedPid(
      join(stack.stateDir, 'spark', 'spark-worker', 'spark-worker.pid'),
      '-Drealtime-user-pipeline.service=spark-worker@',
    );
    if (worker === undefined) return [];
    const { stdout } = await run('ps', ['-o', 'pid=', '--ppid', String(worker)]).catch(() => ({
      stdout: '',
    }));
    return stdout
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((pid) => pid > 0);
  }

  it('writes the rows sink-users writes for the shared vectors, and refuses the same records', async () => {
    const t0 = performance.now();
    // Servers someone else runs (docker compose) have Spark for Scala 2.12 only: parity runs on local[2] there.
    const results = stack.external ? [] : await up(stack, { only: SPARK_SERVICE_NAMES });
    startedStandalone = results.some((r) => r.outcome === 'started');
    const clusterSeconds = (performance.now() - t0) / 1000;
    const [topic, sparkKeyspace, sinkKeyspace] = await Promise.all([
      newTopic('spark_parity'),
      newKeyspace('spark_parity'),
      newKeyspace('sink_parity'),
    ]);
    await send(
      topic,
      vectors.map((v) => ({ key: 'row' in v.expect ? v.expect.row.id : null, value: v.bytes })),
    );
    const rejected = vectors.length - accepted.length;

    const job = await launch('parity', {
      master: stack.external ? 'local[2]' : `spark://${stack.spark.host}:${stack.spark.masterPort}`,
      topic,
      keyspace: sparkKeyspace,
      parity: true,
      checkpoint: checkpointFor('parity'),
    });
    const memory = sampleMemory(async () => (job.isRunning() ? [job.pid, ...(await executorPids())] : []));
    await runSinkUsers(topic, sinkKeyspace);
    const deadline = Date.now() + 150_000;
    const done = () => {
      const batches = job.batches.filter((b) => b.query === 'created_users');
      return batches.reduce((sum, b) => sum + b.rowsIn, 0) === vectors.length;
    };
    while (!done() && job.isRunning() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    const peak = await memory.stop();
    await job.stop();
    const [sparkRows, sinkRows] = await Promise.all([
      createdUsers(sparkKeyspace),
      createdUsers(sinkKeyspace),
    ]);

    expect(done()).toBe(true);
    expect(sparkRows).toEqual(sinkRows);
    expect(sparkRows).toEqual([...accepted].sort((a, b) => a.id.localeCompare(b.id)));
    const parityBatches = job.batches.filter((b) => b.query === 'created_users');
    expect(parityBatches.reduce((sum, b) => sum + b.rejected, 0)).toBe(rejected);
    expect(peak).toBeLessThan(2 * GiB);
    const first = firstBatch(job, 'created_users');
    report.push(
      `standalone (master + worker ${results.map((r) => r.outcome).join('/')} in ${clusterSeconds.toFixed(1)}s), ` +
        `parity: ${accepted.length} rows equal to sink-users', ${rejected} records refused by both; first batch ` +
        `${first?.durationMs} ms, done ${first?.sinceJvmStartMs} ms after the driver started; ` +
        `peak RSS driver + executor ${(peak / MiB).toFixed(0)} MiB`,
    );
  }, 300_000);
});
