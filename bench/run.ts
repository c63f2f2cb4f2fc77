/**
 * `npm run bench [-- --quick] [--out DIR] [--label TEXT]`: measures the pipeline on the local stack against
 * the raw tools, in one run, and writes `latest.json`, `latest.md` and `latest.svg` under `bench/results/`
 * (or DIR), appending a line to its `history.jsonl`.
 *
 * In order: the raw baselines (Kafka's ProducerPerformance and ConsumerPerformance, a cassandra-driver
 * `executeConcurrent` loop of the sink's INSERT and the same INSERT in the sink's unlogged batches, a
 * PostgreSQL UNNEST bulk insert); our stages (fetch, store, relay, sink); the peer, the Spark parity job on
 * as many records as the sink (bench/peer-spark.ts); the end-to-end profiles (sustained rate, then latency at
 * 50% and 80% of it); the scaling sweep over partitions and batch sizes; the console phase (what
 * `npm run console` costs the sink, in rounds with it off and on, and its page's first paint);
 * ProducerPerformance and the Cassandra loops again, on servers warmed by the run, with the better round of
 * each in the ratios. Every phase runs on its own topics, keyspace and database, dropped afterwards. `--quick`
 * runs the same phases smaller and shorter (one profile, one scaling point, one pair of console rounds): a
 * smoke test of the outputs, not a measurement to quote.
 * `--only console --out DIR` runs the console phase alone, at the chosen size, into DIR (never into the
 * recorded results, and never into a history).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { createCassandraClient } from '../functions/lib/cassandra.ts';
import { readyStack } from '../infra/dev/ready.ts';
import { loadStackConfig, type StackConfig } from '../infra/local/config.ts';
import { cassandraFlusher } from '../infra/local/services.ts';
import { status } from '../infra/local/stack.ts';
import { repoRoot } from '../lib/paths.ts';
import { batchRatioOf, cassandraInsertBaseline } from './baselines/cassandra.ts';
import { kafkaConsumerBaseline, kafkaProducerBaseline } from './baselines/kafka.ts';
import { postgresBulkBaseline } from './baselines/postgres.ts';
import { runConsolePhase } from './console.ts';
import { type ProfileSpec, profiles, runProfile } from './e2e.ts';
import { functionConfig } from './lib/config.ts';
import type { CpuReading, ThreadSplit } from './lib/cpu.ts';
import { BenchArgsError } from './lib/errors.ts';
import {
  machineInfo,
  ProcessSampler,
  postgresPids,
  processTree,
  readCpu,
  toolVersions,
  watchedServers,
} from './lib/machine.ts';
import { bestOfRounds, spanRate } from './lib/measure.ts';
import {
  dropLeftovers,
  dropRun,
  type OfflinePipeline,
  prepareRun,
  runNames,
  startOffline,
  waitForConsumed,
} from './lib/pipeline.ts';
import { quietDefaults, waitForQuiet } from './lib/quiet.ts';
import {
  type Baseline,
  type Profile,
  type Results,
  resultsSchemaVersion,
  type ScalingPoint,
  type Stage,
} from './lib/results.ts';
import { produceMessages, relayRecord, waitForRows, writeTimes } from './lib/seed.ts';
import { serialLimitOf } from './lib/serial-limit.ts';
import { describeSpeed, type SpeedReading, speedDefaults, speedSpread, waitForSpeed } from './lib/speed.ts';
import { consoleTargets, pipelineTargets } from './lib/targets.ts';
import {
  benchUsers,
  createdUserRows,
  storableUsers,
  userCreatedMessages,
  withFreshIds,
} from './lib/users.ts';
import { runSparkPeer } from './peer-spark.ts';
import { benchUsage, type Plan, parseBenchArgs } from './plan.ts';
import { writeReport } from './report/write.ts';
import { measureFetch, measureRelay, measureSink, measureStore } from './stages.ts';

/**
 * The process sampler's name for `sls offline start` and its children, and how its CPU per 1000 users is split:
 * its main thread runs serverless-offline and the event source, each function a worker thread of its own.
 */
const offlineThreads: ThreadSplit = {
  process: 'sls offline start (serverless-offline, the functions, offline-kafka)',
  mainThread: 'sls offline start: main thread (serverless-offline, offline-kafka, kafkajs)',
  rest: "sls offline start: other threads (the functions' workers, V8 and libuv helpers) and child processes",
};

/** The window the scaling sweep runs with: the low-latency profile's. */
const scalingWindowMs = 50;

/** The settings the sink stage runs with (the low-latency profile's), and its partitions the Spark peer's topic. */
const stageProfile = profiles[0] as ProfileSpec;

function gitInfo(): Results['git'] {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
  try {
    return { commit: git('rev-parse', '--short', 'HEAD'), dirty: git('status', '--porcelain').length > 0 };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

/** One line per phase above the bar, as the bar moves through the phases. */
class Progress {
  readonly #bar: cliProgress.SingleBar;
  #step = 0;

  constructor(total: number) {
    this.#bar = new cliProgress.SingleBar(
      {
        format: 'bench [{bar}] {value}/{total} | {elapsed}s | {phase}',
        hideCursor: true,
        noTTYOutput: true,
        notTTYSchedule: 10_000,
        etaBuffer: 1,
      },
      cliProgress.Presets.shades_classic,
    );
    this.#bar.start(total, 0, { phase: 'starting', elapsed: 0 });
  }

  readonly #t0 = performance.now();
  #elapsed = () => Math.round((performance.now() - this.#t0) / 1000);

  /** A new phase: the bar moves one step. */
  phase(label: string): void {
    this.#step++;
    this.#bar.update(this.#step, { phase: label, elapsed: this.#elapsed() });
  }

  /** Detail within the phase: the label changes, the bar does not move. */
  detail(label: string): void {
    this.#bar.update(this.#step, { phase: label, elapsed: this.#elapsed() });
  }

  /** A line that must stay on screen. */
  log(line: string): void {
    process.stdout.write(`\n${line}\n`);
  }

  stop(): void {
    this.#bar.stop();
  }
}

/**
 * The raw tools. The first round (`start`) runs all of them; the last (`end`) runs again those that load a
 * JVM server, Kafka's ProducerPerformance and the Cassandra loops (one row per statement, and the sink's
 * unlogged batches of `batchSize` when that is above 1), once the servers are warm (see {@link bestOfRounds}).
 */
async function runBaselines(
  cfg: StackConfig,
  plan: Plan,
  progress: Progress,
  recordBytes: number,
  round: 'start' | 'end',
  batchSize: number,
) {
  const baselines: Baseline[] = [];
  const brokers = `${cfg.kafka.host}:${cfg.kafka.port}`;
  const jarsDir = join(cfg.jarsDir, 'kafka');
  const java = cfg.javaHome ? join(cfg.javaHome, 'bin', 'java') : 'java';
  const names = runNames(round === 'start' ? 'raw' : 'rawagain');
  const again = round === 'end' ? ' again, on warm servers' : '';
  const run = await prepareRun(cfg, names, 6);
  try {
    progress.phase(`baseline${again}: kafka ProducerPerformance (${plan.kafkaRecords} × ${recordBytes} B)`);
    baselines.push(
      await kafkaProducerBaseline({
        topic: names.topic,
        records: plan.kafkaRecords,
        recordBytes,
        brokers,
        jarsDir,
        java,
      }),
    );
    if (round === 'start') {
      progress.phase('baseline: kafka ConsumerPerformance');
      baselines.push(
        await kafkaConsumerBaseline({
          topic: names.topic,
          records: plan.kafkaRecords,
          brokers,
          jarsDir,
          java,
        }),
      );
    }

    progress.phase(`baseline${again}: cassandra-driver executeConcurrent (${plan.cassandraRows} rows)`);
    const rows = createdUserRows(benchUsers(plan.cassandraRows, 'bench-raw'));
    const client = createCassandraClient(functionConfig(cfg, names));
    try {
      baselines.push(await cassandraInsertBaseline({ client, rows }));
    } finally {
      await client.shutdown();
    }

    // The same rows again, written as the sink writes them: unlogged batches of its batch size, in a keyspace
    // of their own (a sink that writes single rows has the loop above for that). The baseline's default
    // concurrency of 128 counts batches here, not rows (13 batches of 10): the sink's SINK_CONCURRENCY counts
    // batches too, and 128 was the faster of the two on this machine (batches of 10 on 50,000 rows: 8,107 and
    // 9,095 rows/s against 7,371 and 7,660 with 13 in flight), so the sink is set beside the stronger loop.
    if (batchSize > 1) {
      progress.phase(
        `baseline${again}: cassandra-driver unlogged batches of ${batchSize} (${plan.cassandraRows} rows)`,
      );
      const batchNames = runNames(round === 'start' ? 'rawbatch' : 'rawbatchagain');
      await (await prepareRun(cfg, batchNames, 1)).close();
      const batchClient = createCassandraClient(functionConfig(cfg, batchNames));
      try {
        baselines.push(await cassandraInsertBaseline({ client: batchClient, rows, batchSize }));
      } finally {
        await batchClient.shutdown();
        await dropRun(cfg, batchNames);
      }
    }

    if (round === 'start') {
      progress.phase(`baseline: PostgreSQL UNNEST bulk insert (${plan.postgresUsers} users)`);
      baselines.push(
        await postgresBulkBaseline({
          db: run.pool,
          users: storableUsers(benchUsers(plan.postgresUsers, 'bench-pg')),
        }),
      );
    }
  } finally {
    await run.close();
    await dropRun(cfg, names);
  }
  return baselines;
}

/**
 * Rows per unlogged batch the sink writes in this run: CASSANDRA_BATCH_SIZE when this environment sets it
 * (`sls offline start` inherits it), else the settings' default, read from their schema.
 */
function sinkBatchSize(cfg: StackConfig): number {
  const set = process.env.CASSANDRA_BATCH_SIZE;
  const env: Record<string, string> = set === undefined ? {} : { CASSANDRA_BATCH_SIZE: set };
  return functionConfig(cfg, runNames('settings'), env).sink.batchSize;
}

/** Each baseline of `first` that `again` measured too, replaced by the better of its two rounds. */
function withBestRounds(first: readonly Baseline[], again: readonly Baseline[]): Baseline[] {
  return first.map((b) => {
    const other = again.find((a) => a.id === b.id);
    return other === undefined ? b : bestOfRounds([b, other]);
  });
}

async function runStages(
  cfg: StackConfig,
  plan: Plan,
  progress: Progress,
  onOffline: (o: OfflinePipeline) => void,
  cpu: () => Promise<CpuReading>,
): Promise<{ stages: Stage[]; fetchBaseline: Baseline }> {
  progress.phase(`stage: fetch-users (${plan.fetchUsers} users from the local API)`);
  const fetched = await measureFetch(plan.fetchUsers);
  const stages: Stage[] = [fetched.stage];

  const spec = stageProfile;
  const names = runNames('stages');
  const run = await prepareRun(cfg, names, spec.partitions);
  let offline: OfflinePipeline | undefined;
  try {
    const users = benchUsers(plan.stageUsers, 'bench-stages');
    progress.phase(`stage: store-users (${users.length} users)`);
    stages.push(await measureStore(cfg, run, users));
    progress.phase('stage: publish-users');
    stages.push(await measureRelay(cfg, run, users.length));
    progress.phase('stage: sink-users through the local Kafka event source');
    offline = await startOffline(cfg, names, spec);
    onOffline(offline);
    stages.push(await measureSink(run, offline, users.length, spec, cpu));
  } finally {
    await offline?.stop();
    await run.close();
    await dropRun(cfg, names);
  }
  return { stages, fetchBaseline: fetched.baseline };
}

async function runScaling(
  cfg: StackConfig,
  plan: Plan,
  progress: Progress,
  sampler: ProcessSampler,
  onOffline: (o: OfflinePipeline) => void,
): Promise<ScalingPoint[]> {
  const points: ScalingPoint[] = [];
  const users = benchUsers(plan.scalingUsers, 'bench-scaling');
  for (const point of plan.scaling) {
    progress.phase(`scaling: ${point.partitions} partition(s), batch ${point.batchSize}`);
    const names = runNames(`scale${point.partitions}x${point.batchSize}`);
    const run = await prepareRun(cfg, names, point.partitions);
    let offline: OfflinePipeline | undefined;
    try {
      // Fresh ids per point, so every point writes new rows.
      const fresh = userCreatedMessages(withFreshIds(users));
      await produceMessages(run.kafka, names.topic, fresh);
      offline = await startOffline(cfg, names, {
        batchSize: point.batchSize,
        batchingWindowMs: scalingWindowMs,
      });
      onOffline(offline);
      await sampler.sample();
      const cpuBefore = sampler.cpuMsTotal();
      await waitForConsumed(run.kafka, names.topic, fresh.length);
      await sampler.sample();
      const cpuMs = sampler.cpuMsTotal() - cpuBefore;
      await waitForRows(run.cql, fresh.length, { timeoutMs: 60_000, intervalMs: 1000 });
      const span = spanRate([...(await writeTimes(run.cql)).values()]);
      points.push({
        partitions: point.partitions,
        batchSize: point.batchSize,
        users: span.rows,
        seconds: span.seconds,
        perSecond: span.perSecond,
        invocations: offline.sinkInvocations().invocations,
        cpuMsPerThousand: span.rows > 0 ? (cpuMs / span.rows) * 1000 : 0,
      });
    } finally {
      await offline?.stop();
      await run.close();
      await dropRun(cfg, names);
    }
  }
  return points;
}

async function main(): Promise<number> {
  const invocation = parseBenchArgs(process.argv.slice(2));
  if (invocation.help) {
    console.log(benchUsage);
    return 0;
  }
  const { plan, out, label, only } = invocation;
  const startedAt = new Date();
  const t0 = performance.now();
  const cfg = loadStackConfig();
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

  console.log(
    `bench: ${plan.mode} run${only === undefined ? '' : ` of the ${only} phase only`}, results to ${out}`,
  );
  await readyStack(cfg, (line) => console.log(`  ${line}`));

  const sampler = new ProcessSampler();
  const rows = await status(cfg);
  for (const name of watchedServers) {
    const pid = rows.find((r) => r.service === name)?.pid;
    if (pid !== undefined) sampler.watch({ name, pids: () => [pid] });
  }
  sampler.watch({
    name: 'postgres (all server processes; shared buffers count in each)',
    pids: postgresPids,
  });
  sampler.watch({ name: 'bench (this process: load generator, relay trigger)', pids: () => [process.pid] });
  let offlinePid: number | undefined;
  sampler.watch({
    name: offlineThreads.process,
    pids: () => (offlinePid === undefined ? [] : processTree(offlinePid)),
  });
  const onOffline = (o: OfflinePipeline) => {
    offlinePid = o.pid;
  };
  let sparkPid: number | undefined;
  sampler.watch({
    name: 'spark job (the peer: its local[2] driver, executors included)',
    pids: () => (sparkPid === undefined ? [] : [sparkPid]),
  });
  let consolePid: number | undefined;
  // serverless-offline runs in its own process group, the console phase's console and the Spark peer's driver in
  // processes of their own; Ctrl-C must not leave them running. (The phase's topics, keyspace and database stay
  // behind; the next run drops them.)
  process.once('SIGINT', () => {
    const kills: Array<() => void> = [];
    if (offlinePid !== undefined) kills.push(() => process.kill(-(offlinePid as number), 'SIGKILL'));
    if (consolePid !== undefined) kills.push(() => process.kill(consolePid as number, 'SIGKILL'));
    if (sparkPid !== undefined) kills.push(() => process.kill(sparkPid as number, 'SIGKILL'));
    for (const kill of kills) {
      try {
        kill();
      } catch {
        // Gone already.
      }
    }
    console.error('\nbench: interrupted');
    process.exit(130);
  });
  const leftovers = await dropLeftovers(cfg);
  if (leftovers > 0)
    console.log(`  dropped ${leftovers} topics, keyspaces and databases left by an interrupted run`);
  sampler.start();

  // Baselines (the batched Cassandra loop when the sink batches), stages, the Spark peer, profiles, scaling
  // points, the console phase, the JVM servers' baselines run again, the report.
  const batchSize = sinkBatchSize(cfg);
  const batchLoops = batchSize > 1 ? 1 : 0;
  const steps =
    only === 'console'
      ? 1 + 1
      : 4 + batchLoops + 4 + 2 + plan.profiles.length + plan.scaling.length + 1 + 2 + batchLoops + 1;
  const progress = new Progress(steps);
  // Before each measured load of the profiles and each round of the console phase (lib/quiet.ts): the node's
  // memtables written out, then the machine quiet.
  const flushCassandra = cassandraFlusher(cfg);
  // The machine's speed (lib/speed.ts), read only once it is quiet (a busy machine would read as a slow one):
  // before each group of phases and before each measured load. A reading slower than the run's fastest holds
  // the phase back until the machine runs at its speed again, within the same bound as the quiet wait.
  const machineSpeed: SpeedReading[] = [];
  const waitForQuietAndReadSpeed = async (what: string) => {
    progress.detail(`${what}: waiting for the machine to settle`);
    const timeoutMs = plan.settleSeconds * 1000;
    const settled = await waitForQuiet({ ...quietDefaults, timeoutMs });
    if (!settled.quiet) {
      progress.log(
        `warning: ${what}: the machine was still ${Math.round(settled.busy * 100)}% busy after ` +
          `${Math.round(settled.waitedMs / 1000)} s; measuring anyway`,
      );
      return;
    }
    progress.detail(`${what}: reading the machine's speed`);
    const fastestMs = speedSpread(machineSpeed)?.fastestMs;
    const gate = await waitForSpeed(fastestMs, { ...speedDefaults, timeoutMs });
    // The first reading's wait is the gate's second look, not a slow machine.
    const waitedSeconds = fastestMs === undefined ? 0 : Math.round(gate.waitedMs / 100) / 10;
    machineSpeed.push({
      phase: what,
      probeMs: gate.probeMs,
      ...(waitedSeconds > 0 ? { waitedSeconds } : {}),
    });
    if (!gate.steady) {
      progress.log(
        `warning: ${what}: the machine still ran ${Math.round((gate.probeMs / gate.referenceMs - 1) * 100)}% ` +
          `slower than its fastest in this run after ${Math.round(gate.waitedMs / 1000)} s; measuring anyway`,
      );
    }
  };
  const settle = async (what: string) => {
    progress.detail(`${what}: flushing Cassandra's memtables`);
    await flushCassandra().catch((e: unknown) =>
      progress.log(
        `warning: ${what}: Cassandra's memtables were not flushed (${e instanceof Error ? e.message : String(e)}); ` +
          'measuring anyway',
      ),
    );
    await waitForQuietAndReadSpeed(what);
  };
  const consolePhase = () => {
    const { pairs, usersPerRound } = plan.console;
    progress.phase(
      `console: the sink with npm run console off and on (${2 * pairs} rounds of ${usersPerRound})`,
    );
    return runConsolePhase(cfg, plan.console, {
      sampler,
      progress: (line) => progress.detail(line),
      started: onOffline,
      consoleRunning: (pid) => {
        consolePid = pid;
      },
      settle,
      warn: (m) => progress.log(`warning: ${m}`),
    });
  };
  try {
    // Our record: the value publish-users sends; the Kafka baselines use the same size.
    const sample = userCreatedMessages(benchUsers(200, 'bench-size')).map(relayRecord);
    const recordBytes = Math.round(
      sample.reduce((s, r) => s + Buffer.byteLength(r.value), 0) / sample.length,
    );

    let measured: Pick<
      Results,
      'baselines' | 'stages' | 'sparkPeer' | 'endToEnd' | 'scaling' | 'serialLimit' | 'console' | 'targets'
    >;
    if (only === 'console') {
      const phase = await consolePhase();
      measured = {
        baselines: [],
        stages: [],
        endToEnd: [],
        scaling: [],
        console: phase,
        targets: consoleTargets(phase),
      };
    } else {
      await waitForQuietAndReadSpeed('baselines');
      const firstRound = await runBaselines(cfg, plan, progress, recordBytes, 'start', batchSize);
      await waitForQuietAndReadSpeed('stages');
      const cpu = () => readCpu(sampler, { split: offlineThreads, pid: () => offlinePid });
      const { stages, fetchBaseline } = await runStages(cfg, plan, progress, onOffline, cpu);

      // The first rate each profile tries: 60% of the slower of the relay and the sink on their own (end to
      // end, the stages share the machine with each other and with the load).
      const rateOf = (id: string) => stages.find((s) => s.id === id)?.perSecond ?? 0;
      const candidate = Math.max(100, 0.6 * Math.min(rateOf('relay'), rateOf('sink')));

      // The peer right after the sink, on as many records: sink-users ÷ Spark in the same minutes.
      const sparkPeer = await runSparkPeer(
        cfg,
        {
          records: plan.stageUsers,
          recordsPerBatch: plan.sparkRecordsPerBatch,
          partitions: stageProfile.partitions,
        },
        rateOf('sink'),
        {
          phase: (label) => progress.phase(label),
          detail: (label) => progress.detail(label),
          log: (line) => progress.log(line),
          running: (pid) => {
            sparkPid = pid;
          },
        },
      );
      progress.log(
        `peer: Spark parity job ${Math.round(sparkPeer.steadyPerSecond)} rows/s steady, first batch done ` +
          `${(sparkPeer.firstBatch.sinceStartMs / 1000).toFixed(1)} s after its driver started; sink-users ÷ Spark ` +
          `${sparkPeer.sinkRatio.toFixed(2)}×`,
      );
      const templates = storableUsers(benchUsers(2000, 'bench-load'));
      const endToEnd: Profile[] = [];
      for (const spec of plan.profiles) {
        progress.phase(`end to end: ${spec.name}`);
        endToEnd.push(
          await runProfile(
            cfg,
            spec,
            {
              candidatePerSecond: candidate,
              probes: plan.probes,
              refineProbes: plan.refineProbes,
              probeSeconds: plan.probeSeconds,
              sustainSeconds: plan.sustainSeconds,
              attempts: plan.sustainAttempts,
              latencySeconds: plan.latencySeconds,
              warmupSeconds: plan.warmupSeconds,
            },
            templates,
            {
              progress: (line) => progress.detail(line),
              started: onOffline,
              readCpu: cpu,
              settle,
              warn: (m) => progress.log(`warning: ${m}`),
            },
          ),
        );
      }

      const scaling = await runScaling(cfg, plan, progress, sampler, onOffline);
      const phase = await consolePhase();

      // The ratios use the better of the two rounds of each server's raw tool.
      await waitForQuietAndReadSpeed('baselines again');
      const lastRound = await runBaselines(cfg, plan, progress, recordBytes, 'end', batchSize);
      const baselines = withBestRounds(firstRound, lastRound);
      baselines.push(fetchBaseline);
      for (const stage of stages) {
        const base = baselines.find((b) => b.id === stage.baseline);
        if (base && base.perSecond > 0) stage.ratio = stage.perSecond / base.perSecond;
      }
      // The sink beside the raw loop that writes its own batches too; its `ratio` (and the target) stays
      // against the single-row loop.
      const sinkStage = stages.find((s) => s.id === 'sink');
      const batchRatio = sinkStage && batchRatioOf(sinkStage, baselines);
      if (sinkStage && batchRatio) sinkStage.batchRatio = batchRatio;
      const serialLimit = serialLimitOf(baselines, endToEnd);
      measured = {
        baselines,
        stages,
        sparkPeer,
        endToEnd,
        scaling,
        serialLimit,
        console: phase,
        targets: [
          ...pipelineTargets({ baselines, stages, sparkPeer, endToEnd, serialLimit }),
          ...consoleTargets(phase),
        ],
      };
    }

    progress.phase('writing the report');
    await sampler.sample();
    const results: Results = {
      schemaVersion: resultsSchemaVersion,
      mode: plan.mode,
      label: label === '' && only !== undefined ? `--only ${only}` : label,
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((performance.now() - t0) / 100) / 10,
      git: gitInfo(),
      machine: machineInfo(),
      tools: toolVersions(cfg, rows),
      machineSpeed,
      recordBytes,
      ...measured,
      processes: sampler.stop(),
    };
    // A run of one phase is no run to compare with the others: it stays out of the history.
    const written = await writeReport(results, out, { history: only === undefined });
    progress.stop();
    console.log(`\nbench: done in ${results.durationSeconds} s`);
    const limit = results.serialLimit;
    if (limit !== undefined) {
      const e2e = limit.endToEnd;
      console.log(
        `  serial limit of this machine: ${Math.round(limit.perSecond)} users/s` +
          (e2e === undefined
            ? ''
            : `; end to end (${e2e.profile} profile) ${Math.round(e2e.perSecond)} users/s, ${e2e.fraction.toFixed(2)} of it`),
      );
    }
    const spread = speedSpread(machineSpeed);
    if (spread !== undefined) {
      const { line, warning } = describeSpeed(spread);
      console.log(`  ${line}`);
      if (warning !== undefined) console.log(`  warning: ${warning}`);
    }
    for (const t of results.targets) {
      const v = t.unit === 'x' ? `${t.measured.toFixed(2)}×` : `${Math.round(t.measured)} ms`;
      console.log(
        `  ${t.met ? 'met ' : 'MISS'} ${t.description}: ${v} (goal ${t.comparison} ${t.goal}${t.unit === 'x' ? '×' : ' ms'})`,
      );
    }
    console.log(
      `  wrote ${Object.values(written)
        .filter((v) => typeof v === 'string')
        .join(', ')}`,
    );
    return 0;
  } finally {
    progress.stop();
    sampler.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof BenchArgsError) {
      console.error(`bench: ${error.message}\n${benchUsage}`);
      process.exit(2);
    }
    console.error(
      `\nbench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exit(1);
  },
);
