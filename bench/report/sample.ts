/**
 * Sample results for the report's tests (and the runner's): a plausible full run on an 8-core machine, and a
 * quick run with the fewest points the runner can produce. Functions, not constants, so a test can change its
 * copy freely.
 */
import { abbaSchedule, median, pairRatios } from '../lib/abba.ts';
import type { ConsolePhase, CpuBreakdown, Results, SparkPeer } from '../lib/results.ts';

/** The Spark peer on the sink stage's 50,000 records: 5,000 rows/s steady, so the sink is at 2.78× of it. */
export function sampleSparkPeer(): SparkPeer {
  return {
    master: 'local[2]',
    records: 50_000,
    recordsPerBatch: 4_000,
    rowsWritten: 50_000,
    batches: 13,
    steadyPerSecond: 5_000,
    firstBatch: { sinceStartMs: 8_120, durationMs: 5_230, rows: 4_000 },
    wallSeconds: 19.4,
    sinkPerSecond: 13_888.89,
    sinkRatio: 13_888.89 / 5_000,
  };
}

/**
 * A console phase of four ABBA pairs, the page measured in chromium: the console costs the sink about 1.5%
 * (median 0.985×) and paints in 212 ms.
 */
export function sampleConsolePhase(): ConsolePhase {
  const rates = [6_500, 6_400, 6_450, 6_550, 6_480, 6_420, 6_300, 6_600];
  const rounds = abbaSchedule(4).map((state, i) => {
    const perSecond = rates[i] ?? 0;
    return {
      round: i + 1,
      console: state,
      users: 30_000,
      seconds: Math.round((30_000 / perSecond) * 100) / 100,
      perSecond,
      cassandraCpuMsPerSecond: state === 'on' ? 700 : 600,
      otherCpuMsPerSecond: 40 + i,
      functionsRebuilt: i === 6,
      ...(state === 'on' ? { consoleCpuMsPerSecond: 84.2 + i, snapshots: 5, scrapes: 1 } : {}),
    };
  });
  const ratios = pairRatios(rounds);
  return {
    usersPerRound: 30_000,
    pairs: 4,
    cassandraRows: { before: 230_000, after: 470_000 },
    postgresUsers: { before: 230_000, after: 470_000 },
    warmupPerSecond: 6_210.4,
    rounds,
    pairRatios: ratios,
    medianRatio: median(ratios),
    consoleCpuMsPerSecond: 86.2,
    firstPaint: { firstContentfulPaintMs: 212.4, firstSnapshotMs: 1_184.9, browser: '131.0.6778.204' },
  };
}

/**
 * A span's CPU per 1000 users from each process's CPU milliseconds, with 4% of the total spent by other work on
 * the machine.
 */
export function sampleCpu(users: number, seconds: number, cpuMs: Record<string, number>): CpuBreakdown {
  const perThousand = (ms: number) => (ms / users) * 1000;
  const total = Object.values(cpuMs).reduce((sum, ms) => sum + ms, 0);
  return {
    users,
    seconds,
    processes: Object.entries(cpuMs).map(([name, ms]) => ({
      name,
      cpuMs: ms,
      msPerThousand: perThousand(ms),
    })),
    totalMsPerThousand: perThousand(total),
    otherMsPerThousand: perThousand(total * 0.04),
  };
}

/** A full run: five baselines (the Cassandra loop also in batches of 10), four stages (one without a raw equivalent), two profiles, a 3 × 3 sweep. */
export function sampleResults(): Results {
  return {
    schemaVersion: 1,
    mode: 'full',
    label: 'sink: prepared statements, concurrency 64',
    startedAt: '2026-11-24T07:30:12.345Z',
    durationSeconds: 1_268.4,
    git: { commit: '297d9d933b1b3d5cfe479dfcb26812dea3f6fbf4', dirty: false },
    machine: {
      hostname: 'bench-runner-1',
      cpus: 8,
      cpuModel: 'AMD EPYC 7B13',
      memoryGiB: 31.3,
      os: 'Linux 6.8.0-1015-gcp x64',
    },
    tools: {
      node: 'v20.20.2',
      kafka: '4.1.0',
      cassandra: '5.0.4',
      postgres: '17.5',
      java: '21.0.7',
    },
    recordBytes: 1_312,
    baselines: [
      {
        id: 'kafka-producer',
        name: 'kafka-producer-perf-test (acks=all, linger.ms=5)',
        records: 200_000,
        recordBytes: 1_312,
        seconds: 1.42,
        perSecond: 140_845.07,
        details: { acks: 'all', 'linger.ms': 5 },
      },
      {
        id: 'kafka-consumer',
        name: 'kafka-consumer-perf-test',
        records: 200_000,
        recordBytes: 1_312,
        seconds: 0.88,
        perSecond: 227_272.73,
        details: {},
      },
      {
        id: 'cassandra-insert',
        name: 'prepared INSERTs through cassandra-driver',
        records: 50_000,
        recordBytes: 1_312,
        seconds: 2.9,
        perSecond: 17_241.38,
        details: { concurrency: 64 },
      },
      {
        id: 'cassandra-batch',
        name: 'unlogged batches of 10 prepared INSERTs through cassandra-driver',
        records: 50_000,
        recordBytes: 1_312,
        seconds: 1.8,
        perSecond: 27_777.78,
        details: { concurrency: 128, batchSize: 10 },
      },
      {
        id: 'postgres-bulk',
        name: 'COPY into users_raw and outbox',
        records: 100_000,
        recordBytes: 1_312,
        seconds: 1.6,
        perSecond: 62_500,
        details: { unlogged: false },
      },
    ],
    stages: [
      {
        id: 'fetch',
        name: 'fetch-users (local randomuser, 5000 a page)',
        users: 100_000,
        seconds: 2.1,
        perSecond: 47_619.05,
        details: { pages: 20 },
      },
      {
        id: 'store',
        name: 'store-users (users_raw + outbox)',
        users: 100_000,
        seconds: 2.4,
        perSecond: 41_666.67,
        baseline: 'postgres-bulk',
        ratio: 0.6667,
        details: {},
      },
      {
        id: 'relay',
        name: 'outbox relay → users_created',
        users: 100_000,
        seconds: 1.3,
        perSecond: 76_923.08,
        baseline: 'kafka-producer',
        ratio: 0.5462,
        details: {},
      },
      {
        id: 'sink',
        name: 'sink-users → created_users',
        users: 50_000,
        seconds: 3.6,
        perSecond: 13_888.89,
        baseline: 'cassandra-insert',
        ratio: 0.8056,
        batchRatio: { baseline: 'cassandra-batch', batchSize: 10, ratio: 13_888.89 / 27_777.78 },
        details: { batchSize: 100 },
        cpu: sampleCpu(48_000, 3.5, {
          cassandra: 9_600,
          kafka: 1_200,
          'sls offline start': 8_400,
          bench: 240,
        }),
      },
    ],
    endToEnd: [
      {
        id: 'low-latency',
        name: 'Low latency',
        settings: { batchSize: 100, batchingWindowMs: 0, relayPollMs: 50, partitions: 3 },
        sustained: {
          perSecond: 4_000,
          durationSeconds: 60,
          lagSlopePerSecond: 0.83,
          flat: true,
          attempts: [
            { perSecond: 2_000, flat: true, lagSlopePerSecond: 0.12 },
            { perSecond: 4_000, flat: true, lagSlopePerSecond: 0.83 },
            { perSecond: 8_000, flat: false, lagSlopePerSecond: 912.4 },
          ],
          samples: [
            { seconds: 0, lag: 0 },
            { seconds: 15, lag: 212 },
            { seconds: 30, lag: 180 },
            { seconds: 45, lag: 240 },
            { seconds: 60, lag: 205 },
          ],
        },
        latency: [
          {
            loadFraction: 0.25,
            offeredPerSecond: 1_000,
            achievedPerSecond: 998.7,
            count: 30_000,
            p50: 41.2,
            p95: 88.6,
            p99: 131.9,
            max: 402.3,
          },
          {
            loadFraction: 0.5,
            offeredPerSecond: 2_000,
            achievedPerSecond: 1_996.1,
            count: 60_000,
            p50: 47.8,
            p95: 104.4,
            p99: 176.5,
            max: 611.0,
            hops: {
              users: 60_000,
              toKafka: { p50: 12.4, p95: 40.1, p99: 71.9 },
              toRow: { p50: 33.0, p95: 70.2, p99: 118.6 },
            },
          },
          {
            loadFraction: 0.9,
            offeredPerSecond: 3_600,
            achievedPerSecond: 3_581.9,
            count: 108_000,
            p50: 72.4,
            p95: 198.2,
            p99: 341.7,
            max: 1_204.8,
          },
        ],
        cpu: sampleCpu(240_000, 60, {
          cassandra: 52_800,
          kafka: 9_600,
          postgres: 14_400,
          'sls offline start': 60_000,
          bench: 12_000,
        }),
      },
      {
        id: 'aws-defaults',
        name: 'AWS defaults',
        settings: { batchSize: 100, batchingWindowMs: 500, relayPollMs: 1_000, partitions: 3 },
        sustained: {
          perSecond: 6_000,
          durationSeconds: 60,
          lagSlopePerSecond: -1.7,
          flat: true,
          attempts: [
            { perSecond: 3_000, flat: true, lagSlopePerSecond: 0.4 },
            { perSecond: 6_000, flat: true, lagSlopePerSecond: -1.7 },
            { perSecond: 12_000, flat: false, lagSlopePerSecond: 2_480.1 },
          ],
          samples: [
            { seconds: 0, lag: 0 },
            { seconds: 30, lag: 3_100 },
            { seconds: 60, lag: 2_950 },
          ],
        },
        latency: [
          {
            loadFraction: 0.5,
            offeredPerSecond: 3_000,
            achievedPerSecond: 2_994.2,
            count: 90_000,
            p50: 812.3,
            p95: 1_406.9,
            p99: 1_733.4,
            max: 2_310.6,
          },
          {
            loadFraction: 0.9,
            offeredPerSecond: 5_400,
            achievedPerSecond: 5_377.5,
            count: 162_000,
            p50: 905.1,
            p95: 1_622.0,
            p99: 2_118.7,
            max: 3_902.2,
          },
        ],
        cpu: sampleCpu(360_000, 60, {
          cassandra: 86_400,
          kafka: 18_000,
          postgres: 25_200,
          'sls offline start': 129_600,
          bench: 14_400,
        }),
      },
    ],
    scaling: [1, 3, 6].flatMap((partitions) =>
      [10, 100, 500].map((batchSize) => {
        // Throughput grows with both, and flattens once the Cassandra writes saturate the machine.
        const perSecond = Math.min(18_000, 900 * partitions * Math.log10(batchSize * 10));
        const users = 60_000;
        return {
          partitions,
          batchSize,
          users,
          seconds: Math.round((users / perSecond) * 100) / 100,
          perSecond: Math.round(perSecond * 100) / 100,
          invocations: Math.ceil(users / batchSize),
          cpuMsPerThousand: Math.round((1_800 / Math.log10(batchSize * 10)) * 10) / 10,
        };
      }),
    ),
    sparkPeer: sampleSparkPeer(),
    serialLimit: {
      // 1 / (1/62,500 + 1/140,845.07 + 1/227,272.73 + 1/17,241.38)
      perSecond: 11_695.91,
      baselines: {
        'postgres-bulk': 62_500,
        'kafka-producer': 140_845.07,
        'kafka-consumer': 227_272.73,
        'cassandra-insert': 17_241.38,
      },
      endToEnd: { profile: 'low-latency', perSecond: 4_000, fraction: 4_000 / 11_695.91 },
    },
    console: sampleConsolePhase(),
    targets: [
      {
        id: 'store-vs-copy',
        description: 'store-users vs PostgreSQL COPY',
        measured: 0.6667,
        goal: 0.5,
        comparison: '>=',
        unit: 'x',
        met: true,
      },
      {
        id: 'relay-vs-producer',
        description: 'relay vs Kafka producer',
        measured: 0.5462,
        goal: 0.6,
        comparison: '>=',
        unit: 'x',
        met: false,
      },
      {
        id: 'sink-vs-insert',
        description: 'sink-users vs raw Cassandra INSERTs',
        measured: 0.8056,
        goal: 0.7,
        comparison: '>=',
        unit: 'x',
        met: true,
      },
      {
        id: 'p99-low-latency',
        description: 'end-to-end p99 at half load (low latency)',
        measured: 176.5,
        goal: 250,
        comparison: '<=',
        unit: 'ms',
        met: true,
      },
      {
        id: 'console-cost',
        description: 'sink with the console running ÷ without (median of ABBA pairs)',
        measured: 0.9847,
        goal: 0.98,
        comparison: '>=',
        unit: 'x',
        met: true,
      },
      {
        id: 'console-first-paint',
        description: "console page's first contentful paint (ms)",
        measured: 212.4,
        goal: 1000,
        comparison: '<=',
        unit: 'ms',
        met: true,
      },
    ],
    processes: [
      { name: 'serverless-offline', pid: 41_233, peakRssMiB: 412.6, cpuSeconds: 381.2 },
      { name: 'offline-kafka', pid: 41_250, peakRssMiB: 188.1, cpuSeconds: 96.4 },
      { name: 'kafka', pid: 40_101, peakRssMiB: 1_024.9, cpuSeconds: 210.7 },
      { name: 'cassandra', pid: 40_102, peakRssMiB: 2_310.4, cpuSeconds: 655.3 },
      { name: 'postgres', pid: 40_103, peakRssMiB: 96.2, cpuSeconds: 88.0 },
    ],
  };
}

/**
 * A quick run: one baseline, one stage, one profile at one load, one scaling point, one pair of console rounds
 * on a machine without chromium, and the two targets that leaves. The report must still render it without
 * empty tables breaking the layout or NaN leaking into the chart.
 */
export function sampleQuickResults(): Results {
  const full = sampleResults();
  const [lowLatency] = full.endToEnd;
  const [, half] = lowLatency?.latency ?? [];
  const phase = sampleConsolePhase();
  const rounds = phase.rounds.slice(0, 2).map((r) => ({ ...r, users: 3_000 }));
  const ratios = pairRatios(rounds);
  return {
    ...full,
    mode: 'quick',
    label: '',
    durationSeconds: 48.2,
    git: { commit: full.git.commit, dirty: true },
    baselines: full.baselines.filter((b) => b.id === 'cassandra-insert' || b.id === 'cassandra-batch'),
    // The Cassandra loops alone: too few for a serial limit.
    serialLimit: undefined,
    stages: full.stages.filter((s) => s.id === 'sink'),
    endToEnd: lowLatency && half ? [{ ...lowLatency, latency: [half] }] : [],
    scaling: full.scaling.slice(0, 1),
    console: {
      ...phase,
      usersPerRound: 3_000,
      pairs: 1,
      cassandraRows: { before: 13_000, after: 19_000 },
      postgresUsers: { before: 13_000, after: 19_000 },
      rounds,
      pairRatios: ratios,
      medianRatio: median(ratios),
      firstPaint: {
        firstContentfulPaintMs: null,
        firstSnapshotMs: null,
        reason:
          "no chromium on PATH (`command -v chromium` found none): Debian's chromium package measures it",
      },
    },
    targets: full.targets.filter((t) => t.id === 'sink-vs-insert' || t.id === 'console-cost'),
    processes: full.processes.slice(0, 2),
  };
}
