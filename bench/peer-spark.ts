/**
 * The peer: the project's own Spark Structured Streaming job (infra/spark) in `--parity` mode, which writes the
 * same `created_users` rows as sink-users, measured in the same run as the sink so that sink-users ÷ Spark is a
 * ratio of two figures taken on the same machine in the same minutes.
 *
 * It gets the sink phase's conditions: a topic of its own holding the same number of records, made by the same
 * generator and record builder (`users_created` values byte for byte as publish-users sends them), a keyspace
 * of its own made by the real migrations, and the job on `local[2]` as `npm run spark:submit` runs it. The
 * jar build (`mvn package`) and Spark's runtime jars are made ready first and are not timed. The job reads the
 * topic from the start in micro-batches of at most `recordsPerBatch` records (`maxOffsetsPerTrigger`), so a
 * steady rate exists: rows per second over the `created_users` query's batches after its first with data,
 * as `test/integration/spark.test.ts` takes it. Its first-batch latency is the job's own: from the driver
 * JVM's start to the end of that query's first batch with data, every record being on the topic before the
 * driver starts.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { StackConfig } from '../infra/local/config.ts';
import { ensureSparkJars } from '../infra/local/spark.ts';
import {
  type BatchProgress,
  defaultCheckpoint,
  ensureJobJar,
  type FirstBatch,
  parseFirstBatchLine,
  type RunningJob,
  startJob,
  steadyRowsPerSecond,
} from '../infra/spark/job.ts';
import { SparkPeerError } from './lib/errors.ts';
import { dropRun, prepareRun, runNames } from './lib/pipeline.ts';
import type { SparkPeer } from './lib/results.ts';
import { produceMessages, rowCount } from './lib/seed.ts';
import { benchUsers, userCreatedMessages } from './lib/users.ts';

/** The job's query that writes `created_users` (the other, `aggregates`, runs beside it in parity mode). */
export const parityQuery = 'created_users';

/** Where the job runs: `npm run spark:submit`'s default. */
export const sparkMaster = 'local[2]';

/** How big the peer's run is. */
export interface SparkPeerPlan {
  /** Records on the topic: the sink phase's number. */
  records: number;
  /** The job's `maxOffsetsPerTrigger`: records per micro-batch at most. */
  recordsPerBatch: number;
  /** Partitions of the topic: the sink phase's. */
  partitions: number;
}

/** What the phase tells its caller while it runs. */
export interface SparkPeerHooks {
  /** A new step of the progress bar (the phase takes two: the build, then the job). */
  phase(label: string): void;
  /** Detail within the step. */
  detail(label: string): void;
  /** A line that must stay on screen. */
  log(line: string): void;
  /** The driver JVM's pid, once it runs (for the process sampler and Ctrl-C); undefined once it has exited. */
  running(pid: number | undefined): void;
}

/** The figures of one run of the job, read from its batch lines (see {@link sparkFigures}). */
export interface SparkFigures {
  rowsIn: number;
  rejected: number;
  /** The query's batches that carried data. */
  batches: number;
  steadyPerSecond: number;
  firstBatch: FirstBatch;
}

/**
 * The `created_users` query's figures from the job's batch lines and `first_batch` lines.
 *
 * @throws {@link SparkPeerError} `SPARK_NO_FIRST_BATCH` when the query printed no first batch, and
 *   `SPARK_NO_STEADY_RATE` when it had no batch with data after its first (all records in one batch: the
 *   plan's `recordsPerBatch` is too large for its records)
 */
export function sparkFigures(batches: readonly BatchProgress[], lines: readonly string[]): SparkFigures {
  const mine = batches.filter((b) => b.query === parityQuery);
  const firstBatch = lines.map(parseFirstBatchLine).find((f) => f?.query === parityQuery);
  if (firstBatch === undefined) {
    throw new SparkPeerError(`the Spark job printed no first batch for its ${parityQuery} query`, {
      code: 'SPARK_NO_FIRST_BATCH',
    });
  }
  const steadyPerSecond = steadyRowsPerSecond(batches, parityQuery);
  const withData = mine.filter((b) => b.rowsIn > 0).length;
  if (steadyPerSecond === undefined) {
    throw new SparkPeerError(
      `the Spark job's ${parityQuery} query had ${withData} batch(es) with data; a steady rate needs two or more`,
      { code: 'SPARK_NO_STEADY_RATE' },
    );
  }
  return {
    rowsIn: mine.reduce((sum, b) => sum + b.rowsIn, 0),
    rejected: mine.reduce((sum, b) => sum + b.rejected, 0),
    batches: withData,
    steadyPerSecond,
    firstBatch,
  };
}

/**
 * Checks that the keyspace holds a row for every record: the job wrote each user once, as sink-users would.
 *
 * @throws {@link SparkPeerError} `SPARK_ROWS_MISSING`, naming the keyspace, the count and how many are missing
 */
export function checkRowsWritten(keyspace: string, records: number, rows: number): void {
  if (rows === records) return;
  const gap = rows < records ? `${records - rows} missing` : `${rows - records} more than the records`;
  throw new SparkPeerError(
    `the Spark job's ${keyspace}.created_users holds ${rows} rows for ${records} records (${gap})`,
    { code: 'SPARK_ROWS_MISSING' },
  );
}

/** sink-users ÷ the Spark job, each in rows (users) per second; 0 when Spark measured nothing. */
export function sinkVsSpark(sinkPerSecond: number, sparkPerSecond: number): number {
  return sparkPerSecond > 0 ? sinkPerSecond / sparkPerSecond : 0;
}

/** How long the job may take to read every record: its start (seconds) plus a slow 100 records per second. */
export function drainTimeoutMs(records: number): number {
  return 120_000 + records * 10;
}

/**
 * Runs the Spark parity job on a topic and keyspace of its own and measures it.
 *
 * @param sinkPerSecond - sink-users' users per second in this run's sink phase, for the ratio
 * @throws {@link SparkPeerError} when the job exits early (`SPARK_JOB_EXITED`), does not read every record in
 *   time (`SPARK_TIMEOUT`), rejects records (`SPARK_REJECTED`) or leaves rows missing (`SPARK_ROWS_MISSING`)
 */
export async function runSparkPeer(
  cfg: StackConfig,
  plan: SparkPeerPlan,
  sinkPerSecond: number,
  hooks: SparkPeerHooks,
): Promise<SparkPeer> {
  // Not timed: on a fresh machine Maven downloads about 280 MB and runs the job's tests here.
  hooks.phase('peer: preparing the Spark job (its build and runtime jars, not timed) and its topic');
  const t0 = performance.now();
  await ensureJobJar((line) => hooks.log(`peer: ${line}`));
  hooks.detail("peer: resolving Spark's runtime jars (Maven, the first time only)");
  await ensureSparkJars(cfg);
  const prepareSeconds = (performance.now() - t0) / 1000;
  if (prepareSeconds > 5)
    hooks.log(`peer: the Spark job and its jars were ready in ${prepareSeconds.toFixed(1)} s`);

  const names = runNames('spark');
  const run = await prepareRun(cfg, names, plan.partitions);
  const checkpoint = defaultCheckpoint(cfg, names.topic);
  // Spark's own log, kept only when the phase fails.
  const logFile = join(cfg.stateDir, 'spark', 'bench-logs', `${names.keyspace}.log`);
  let job: RunningJob | undefined;
  let measured = false;
  try {
    hooks.detail(`peer: producing ${plan.records} records for the Spark job`);
    await produceMessages(
      run.kafka,
      names.topic,
      userCreatedMessages(benchUsers(plan.records, 'bench-spark')),
    );

    hooks.phase(`peer: Spark parity job on ${sparkMaster}, ${plan.records} records`);
    const started = performance.now();
    job = await startJob(
      cfg,
      {
        master: sparkMaster,
        topic: names.topic,
        keyspace: names.keyspace,
        parity: true,
        checkpoint,
        startingOffsets: 'earliest',
        maxOffsetsPerTrigger: plan.recordsPerBatch,
        // No web UI: the bench needs none, and a second job's would fight over port 4040.
        conf: { 'spark.ui.enabled': 'false' },
      },
      logFile,
    );
    hooks.running(job.pid);
    const rowsIn = () =>
      (job?.batches ?? []).filter((b) => b.query === parityQuery).reduce((sum, b) => sum + b.rowsIn, 0);
    const deadline = Date.now() + drainTimeoutMs(plan.records);
    for (let read = rowsIn(); read < plan.records; read = rowsIn()) {
      if (!job.isRunning()) {
        throw new SparkPeerError(
          `the Spark job exited after reading ${read} of ${plan.records} records (its log: ${logFile}): ` +
            job.lines.slice(-5).join(' / '),
          { code: 'SPARK_JOB_EXITED' },
        );
      }
      if (Date.now() > deadline) {
        throw new SparkPeerError(
          `the Spark job read ${read} of ${plan.records} records in ${drainTimeoutMs(plan.records) / 1000} s ` +
            `(its log: ${logFile})`,
          { code: 'SPARK_TIMEOUT' },
        );
      }
      hooks.detail(`peer: Spark parity job on ${sparkMaster}: ${read} of ${plan.records} records read`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const wallSeconds = (performance.now() - started) / 1000;
    await job.stop();
    hooks.running(undefined);

    const figures = sparkFigures(job.batches, job.lines);
    if (figures.rejected > 0) {
      throw new SparkPeerError(
        `the Spark job rejected ${figures.rejected} of the ${plan.records} bench records`,
        { code: 'SPARK_REJECTED' },
      );
    }
    // Each batch writes its rows before it prints its line, so they are all in by now.
    const rowsWritten = await rowCount(run.cql);
    checkRowsWritten(names.keyspace, plan.records, rowsWritten);
    measured = true;
    return {
      master: sparkMaster,
      records: plan.records,
      recordsPerBatch: plan.recordsPerBatch,
      rowsWritten,
      batches: figures.batches,
      steadyPerSecond: figures.steadyPerSecond,
      firstBatch: {
        sinceStartMs: figures.firstBatch.sinceJvmStartMs,
        durationMs: figures.firstBatch.durationMs,
        rows: figures.firstBatch.rowsIn,
      },
      wallSeconds,
      sinkPerSecond,
      sinkRatio: sinkVsSpark(sinkPerSecond, figures.steadyPerSecond),
    };
  } finally {
    await job?.stop();
    hooks.running(undefined);
    await run.close();
    await dropRun(cfg, names);
    await rm(checkpoint, { recursive: true, force: true });
    if (measured) await rm(logFile, { force: true });
  }
}
