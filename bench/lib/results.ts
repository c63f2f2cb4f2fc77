/**
 * The shape of one benchmark run's results (`bench/results/latest.json`), as a zod schema: the runner builds
 * it, the report renders it, and `npm run bench:check` (the CI smoke test) validates a run's outputs with it.
 * Every rate is users (or records) per second; every ratio is ours divided by the raw tool's, measured in the
 * same run.
 */
import { z } from 'zod';

export const resultsSchemaVersion = 1;

const rate = z.number().finite().nonnegative();
const seconds = z.number().finite().nonnegative();

/** A raw tool's throughput, measured in this run. */
export const baselineSchema = z.object({
  /** `kafka-producer`, `kafka-consumer`, `cassandra-insert`, `cassandra-batch`, `postgres-bulk`. */
  id: z.string(),
  /** What ran, e.g. "kafka ProducerPerformance (acks=all)". */
  name: z.string(),
  records: z.number().int().nonnegative(),
  recordBytes: z.number().int().nonnegative(),
  seconds,
  perSecond: rate,
  /** Anything worth knowing about how it ran (concurrency, flags). */
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
});
export type Baseline = z.infer<typeof baselineSchema>;

/**
 * CPU milliseconds per 1000 users over one measured span, for each process the run watches (the names of
 * `processes`), so a change shows where it saved. Absent from runs recorded before it existed.
 */
export const cpuBreakdownSchema = z.object({
  /** Users the span carried through the measured part of the pipeline. */
  users: z.number().int().nonnegative(),
  seconds,
  /** Every watched process that used CPU in the span, in the order the run watches them. */
  processes: z.array(
    z.object({ name: z.string(), cpuMs: z.number().nonnegative(), msPerThousand: z.number().nonnegative() }),
  ),
  /** The sum over `processes`. */
  totalMsPerThousand: z.number().nonnegative(),
  /** CPU the machine spent busy outside the watched processes, per 1000 users: other work sharing it. */
  otherMsPerThousand: z.number().nonnegative(),
});
export type CpuBreakdown = z.infer<typeof cpuBreakdownSchema>;

/** One of our stages, with its ratio to the raw tool it is compared with. */
export const stageSchema = z.object({
  /** `fetch`, `store`, `relay`, `sink`. */
  id: z.string(),
  name: z.string(),
  users: z.number().int().nonnegative(),
  seconds,
  perSecond: rate,
  /** The id of the baseline it is compared with; absent for a stage without a raw equivalent. */
  baseline: z.string().optional(),
  ratio: z.number().finite().nonnegative().optional(),
  /**
   * The sink's, when it writes unlogged batches: its rate ÷ the raw loop writing the same batches
   * (`cassandra-batch`), shown beside `ratio`, which stays against the single-row loop. Absent when the sink
   * writes single rows, and from runs recorded before it existed.
   */
  batchRatio: z
    .object({
      /** The id of the batched baseline. */
      baseline: z.string(),
      /** Rows per unlogged batch, the sink's and the baseline's. */
      batchSize: z.number().int().min(2),
      ratio: z.number().finite().nonnegative(),
    })
    .optional(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  /** The sink's: CPU per 1000 users while it drained the stage's records. */
  cpu: cpuBreakdownSchema.optional(),
});
export type Stage = z.infer<typeof stageSchema>;

/** One hop of a user's path (lib/measure.ts `hopLatency`): p50, p95 and p99 in milliseconds. */
const hopSchema = z.object({
  p50: z.number().nonnegative(),
  p95: z.number().nonnegative(),
  p99: z.number().nonnegative(),
});
export type HopSummary = z.infer<typeof hopSchema>;

/** Latency percentiles in milliseconds. */
export const latencySchema = z.object({
  /** Fraction of the sustained rate offered, e.g. 0.5. */
  loadFraction: z.number().positive(),
  offeredPerSecond: rate,
  achievedPerSecond: rate,
  count: z.number().int().nonnegative(),
  p50: z.number().nonnegative(),
  p95: z.number().nonnegative(),
  p99: z.number().nonnegative(),
  max: z.number().nonnegative(),
  /**
   * The same users' path split at their Kafka record's timestamp (lib/measure.ts `hopLatency`): commit → Kafka
   * and Kafka → row, each p50/p95/p99 in ms. Optional: runs recorded before it, and a run whose records could
   * not all be read back, have none.
   */
  hops: z
    .object({
      users: z.number().int().positive(),
      toKafka: hopSchema,
      toRow: hopSchema,
    })
    .optional(),
});
export type Latency = z.infer<typeof latencySchema>;

/** One sample of the sink's consumer lag during the sustained run. */
export const lagSampleSchema = z.object({ seconds, lag: z.number().int().nonnegative() });

export const profileSchema = z.object({
  /** `low-latency` or `aws-defaults`. */
  id: z.string(),
  name: z.string(),
  settings: z.object({
    batchSize: z.number().int().positive(),
    batchingWindowMs: z.number().nonnegative(),
    relayPollMs: z.number().nonnegative(),
    partitions: z.number().int().positive(),
  }),
  /** The highest offered rate at which the lag stayed flat for `durationSeconds`. */
  sustained: z.object({
    perSecond: rate,
    durationSeconds: seconds,
    /** Least-squares slope of the lag over the run, in records per second; near 0 when flat. */
    lagSlopePerSecond: z.number().finite(),
    flat: z.boolean(),
    /** Offered rates tried, in order, and whether each held. */
    attempts: z.array(z.object({ perSecond: rate, flat: z.boolean(), lagSlopePerSecond: z.number() })),
    samples: z.array(lagSampleSchema),
  }),
  latency: z.array(latencySchema),
  /** CPU per 1000 users over the sustained run's load (the attempt reported in `sustained`). */
  cpu: cpuBreakdownSchema.optional(),
});
export type Profile = z.infer<typeof profileSchema>;

/** One point of the scaling sweep: the sink through the local event source. */
export const scalingPointSchema = z.object({
  partitions: z.number().int().positive(),
  batchSize: z.number().int().positive(),
  users: z.number().int().nonnegative(),
  seconds,
  perSecond: rate,
  invocations: z.number().int().nonnegative(),
  /** CPU milliseconds (all processes of the pipeline and the servers) per 1000 users. */
  cpuMsPerThousand: z.number().nonnegative(),
});
export type ScalingPoint = z.infer<typeof scalingPointSchema>;

/**
 * The peer (issue 17): the project's Spark Structured Streaming job in `--parity` mode, which writes the same
 * `created_users` rows as sink-users, on as many records as the sink phase, in the same run (bench/peer-spark.ts).
 */
export const sparkPeerSchema = z.object({
  /** Where the job ran: `local[2]`. */
  master: z.string(),
  /** Records on its topic: the sink phase's number. */
  records: z.number().int().positive(),
  /** Its `maxOffsetsPerTrigger`: records per micro-batch at most. */
  recordsPerBatch: z.number().int().positive(),
  /** `created_users` rows in its keyspace afterwards: the phase fails unless it equals `records`. */
  rowsWritten: z.number().int().nonnegative(),
  /** Batches of its `created_users` query that carried data. */
  batches: z.number().int().positive(),
  /** Rows per second over that query's batches after its first with data (the steady rate). */
  steadyPerSecond: rate,
  /** That query's first batch with data, every record being on the topic before the driver started. */
  firstBatch: z.object({
    /** From the driver JVM's start to the end of the batch. */
    sinceStartMs: z.number().finite().nonnegative(),
    /** The batch alone. */
    durationMs: z.number().finite().nonnegative(),
    rows: z.number().int().nonnegative(),
  }),
  /** From launching the driver until it had read every record, start-up included. */
  wallSeconds: seconds,
  /** sink-users' users per second in this run's sink phase. */
  sinkPerSecond: rate,
  /** `sinkPerSecond` ÷ `steadyPerSecond` (target `sink-vs-spark`). */
  sinkRatio: z.number().finite().nonnegative(),
});
export type SparkPeer = z.infer<typeof sparkPeerSchema>;

/** One round of the console phase: the sink's rate with the console off or on. */
export const consoleRoundSchema = z.object({
  /** 1-based, in the order run (the warm-up round not counted). */
  round: z.number().int().positive(),
  console: z.enum(['off', 'on']),
  /** The round's users, all written (the rate is over their write times only). */
  users: z.number().int().nonnegative(),
  seconds,
  perSecond: rate,
  /** Cassandra's CPU milliseconds per second over the round: the console's counts scan its whole table. */
  cassandraCpuMsPerSecond: z.number().finite().nonnegative().optional(),
  /**
   * CPU milliseconds per second the machine spent busy outside the processes the benchmark watches (servers,
   * serverless-offline, this process, the console): other work that shared the machine during the round.
   */
  otherCpuMsPerSecond: z.number().finite().nonnegative().optional(),
  /**
   * Whether the functions were rebuilt during the round: serverless-esbuild's watcher under `sls offline start`
   * rebuilds them on any .js or .ts change in the repository and serverless-offline drops its workers.
   */
  functionsRebuilt: z.boolean().optional(),
  /** On rounds: the console process's CPU milliseconds per second over the round. */
  consoleCpuMsPerSecond: z.number().finite().nonnegative().optional(),
  /** On rounds: `/api/live` snapshots the viewer read and `/metrics` scrapes it made. */
  snapshots: z.number().int().nonnegative().optional(),
  scrapes: z.number().int().nonnegative().optional(),
});
export type ConsoleRound = z.infer<typeof consoleRoundSchema>;

/** The console page opened once in chromium; the times are from the navigation's start. */
export const firstPaintSchema = z.object({
  /** `first-contentful-paint`; null when not measured (no chromium, or the page did not get that far). */
  firstContentfulPaintMs: z.number().finite().nonnegative().nullable(),
  /** When the first live snapshot was rendered into the page; null when not measured. */
  firstSnapshotMs: z.number().finite().nonnegative().nullable(),
  /** Why a time is null. */
  reason: z.string().optional(),
  /** The browser's version, when one ran. */
  browser: z.string().optional(),
});
export type FirstPaintResult = z.infer<typeof firstPaintSchema>;

/**
 * The console phase: what the console's own polling costs the sink (rounds with it off and on, in ABBA
 * order), its CPU, and its page's first paint. Absent from runs recorded before the phase existed.
 */
export const consolePhaseSchema = z.object({
  usersPerRound: z.number().int().positive(),
  pairs: z.number().int().positive(),
  /** `created_users` rows before the first measured round (the fill and the warm-up) and after the last. */
  cassandraRows: z.object({ before: z.number().int().nonnegative(), after: z.number().int().nonnegative() }),
  /** `users_raw` rows (each with its published outbox row) before the first measured round and after the last. */
  postgresUsers: z.object({ before: z.number().int().nonnegative(), after: z.number().int().nonnegative() }),
  /** The sink's rate in the warm-up round (console off), which is left out of the pairs. */
  warmupPerSecond: rate,
  rounds: z.array(consoleRoundSchema).min(2),
  /** On ÷ off of each pair, in order. */
  pairRatios: z.array(z.number().finite().nonnegative()).min(1),
  /** The median of `pairRatios`. */
  medianRatio: z.number().finite().nonnegative(),
  /** The console's CPU milliseconds per second over all its on rounds. */
  consoleCpuMsPerSecond: z.number().finite().nonnegative(),
  firstPaint: firstPaintSchema,
});
export type ConsolePhase = z.infer<typeof consolePhaseSchema>;

/**
 * The serial limit (issue 17): one user's cost at each raw tool's own speed, added up, which is as fast as one
 * machine whose cores every stage shares can carry users through all of them: 1 / (1/postgres-bulk +
 * 1/kafka-producer + 1/kafka-consumer + 1/cassandra-insert), from this run's baselines (the faster round where
 * one ran twice). Absent from runs without those baselines.
 */
export const serialLimitSchema = z.object({
  perSecond: rate,
  /** Baseline id → the records/s the limit adds up. */
  baselines: z.record(z.string(), rate),
  /** The end-to-end profile set against it (`low-latency`), when one ran: its sustained rate and its fraction of the limit. */
  endToEnd: z
    .object({ profile: z.string(), perSecond: rate, fraction: z.number().finite().nonnegative() })
    .optional(),
});
export type SerialLimit = z.infer<typeof serialLimitSchema>;

export const targetSchema = z.object({
  id: z.string(),
  description: z.string(),
  /** The measured value: a ratio, or milliseconds for latency targets. */
  measured: z.number().finite().nonnegative(),
  /** The goal, in the same unit. */
  goal: z.number().nonnegative(),
  /** `>=` when higher is better, `<=` when lower is. */
  comparison: z.enum(['>=', '<=']),
  unit: z.enum(['x', 'ms']),
  met: z.boolean(),
});
export type Target = z.infer<typeof targetSchema>;

export const processSchema = z.object({
  name: z.string(),
  pid: z.number().int(),
  /** The highest resident set size sampled during the run. */
  peakRssMiB: z.number().nonnegative(),
  cpuSeconds: z.number().nonnegative(),
});
export type ProcessUsage = z.infer<typeof processSchema>;

export const resultsSchema = z.object({
  schemaVersion: z.literal(resultsSchemaVersion),
  mode: z.enum(['full', 'quick']),
  /** A short description of what changed since the last run, for the history (`--label`). */
  label: z.string(),
  startedAt: z.iso.datetime(),
  durationSeconds: seconds,
  git: z.object({ commit: z.string(), dirty: z.boolean() }),
  machine: z.object({
    hostname: z.string(),
    cpus: z.number().int().positive(),
    cpuModel: z.string(),
    memoryGiB: z.number().positive(),
    os: z.string(),
  }),
  /**
   * The speed probe's readings over the run (lib/speed.ts), in order: whether the machine kept its speed between
   * the phases the ratios compare. Optional, so runs recorded before it stay valid under version 1; so is each
   * reading's wait, which came later.
   */
  machineSpeed: z
    .array(
      z.object({
        phase: z.string(),
        probeMs: z.number().positive(),
        /** Seconds the benchmark waited for the machine to run at its speed again before this reading. */
        waitedSeconds: z.number().positive().optional(),
      }),
    )
    .optional(),
  /** Tool name → version, e.g. `kafka: 4.3.1`, `node: v20.20.2`. */
  tools: z.record(z.string(), z.string()),
  /** Bytes of one `users_created` record value, as the baselines use. */
  recordBytes: z.number().int().positive(),
  baselines: z.array(baselineSchema),
  stages: z.array(stageSchema),
  endToEnd: z.array(profileSchema),
  scaling: z.array(scalingPointSchema),
  /** The Spark peer; optional, so runs recorded before it existed (and `--only` runs) stay valid under version 1. */
  sparkPeer: sparkPeerSchema.optional(),
  /** Optional, so runs recorded before it existed (and `--only` runs) stay valid under version 1. */
  serialLimit: serialLimitSchema.optional(),
  /** The console phase; optional, so the runs recorded before it existed stay valid under version 1. */
  console: consolePhaseSchema.optional(),
  targets: z.array(targetSchema),
  processes: z.array(processSchema),
});
export type Results = z.infer<typeof resultsSchema>;

/** One line of `bench/results/history.jsonl`: what a run measured, for comparing runs over time. */
export const historyEntrySchema = z.object({
  startedAt: z.iso.datetime(),
  commit: z.string(),
  mode: z.enum(['full', 'quick']),
  label: z.string(),
  /** Stage id → users per second. */
  stages: z.record(z.string(), rate),
  /** Baseline id → per second. */
  baselines: z.record(z.string(), rate),
  /** Target id → measured value. */
  targets: z.record(z.string(), z.number()),
  /** The serial limit in users/s, from runs that measured it (older lines have none). */
  serialLimit: rate.optional(),
  /**
   * Stage or end-to-end profile id → CPU ms per 1000 users summed over the watched processes, from runs that
   * measured it (older lines have none): where a change saved shows over time, not only in one report.
   */
  cpuPerThousand: z.record(z.string(), z.number().nonnegative()).optional(),
});
export type HistoryEntry = z.infer<typeof historyEntrySchema>;
