/**
 * The console phase: what the pipeline console (infra/console) costs the pipeline while it runs, and how fast
 * its page paints. Issue 15 asks for a first paint under a second on this machine, and for the console's own
 * polling to cost the pipeline no more than 2% of its throughput.
 *
 * On a private run (its own topic, keyspace and database), the tables are first filled with `fillUsers`
 * users, stored, relayed and written as a pipeline that has run for a while leaves them: the console counts
 * whole tables, so its cost depends on their size. serverless-offline then runs the sink with the low-latency
 * profile's settings, and an unmeasured warm-up round (console off) warms its workers. Then rounds of
 * `usersPerRound` fresh users alternate the console off and on in ABBA order (see lib/abba.ts). Each round:
 *
 * 1. stores its users in PostgreSQL as stored and relayed, so that the console's latency sampler finds their
 *    outbox rows, as it would in a running pipeline;
 * 2. in an on round, starts `npm run console` in a process of its own on the run's names, with a viewer that
 *    reads its live stream and scrapes its metrics every 5 s, and waits for the first snapshot;
 * 3. reads the process sampler and the machine, produces the users onto the topic, waits until the sink has
 *    consumed them, and reads them again: the console's, Cassandra's and everything else's CPU over the
 *    round, and whether the functions were rebuilt meanwhile (lib/pipeline.ts sinkBundleStamp);
 * 4. in an on round, stops the viewer and the console (the first on round opens the page once in chromium
 *    before, so the browser's CPU is in no round);
 * 5. takes the sink's rate over Cassandra's write times of that round's users only.
 *
 * It reports each round's rate and CPU, the median over the pairs of on ÷ off, the console's CPU per second
 * while on, and the page's first paint.
 */
import { createCassandraClient } from '../functions/lib/cassandra.ts';
import type { User } from '../functions/lib/schemas.ts';
import type { CreatedUserRow } from '../functions/lib/users-created.ts';
import type { StackConfig } from '../infra/local/config.ts';
import { errorText } from '../lib/errors.ts';
import { cassandraInsertBaseline } from './baselines/cassandra.ts';
import { type ProfileSpec, profiles } from './e2e.ts';
import {
  abbaSchedule,
  type ConsoleState,
  cpuMsPerSecond,
  median,
  pairRatios,
  type RoundReading,
  type RoundUse,
  roundUse,
} from './lib/abba.ts';
import { functionConfig } from './lib/config.ts';
import {
  type ConsoleProcess,
  freePort,
  startConsoleProcess,
  startViewer,
  type Viewer,
  type ViewerCounts,
} from './lib/console-process.ts';
import { ConsolePhaseError } from './lib/errors.ts';
import { type FirstPaint, measureFirstPaint } from './lib/first-paint.ts';
import { freshUsers } from './lib/generator.ts';
import { machineBusyMs, type ProcessSampler, processTree, type watchedServers } from './lib/machine.ts';
import { spanRate } from './lib/measure.ts';
import {
  dropRun,
  type OfflinePipeline,
  prepareRun,
  type RunClients,
  runNames,
  sinkBundleStamp,
  startOffline,
  waitForConsumed,
} from './lib/pipeline.ts';
import type { ConsolePhase, ConsoleRound } from './lib/results.ts';
import { produceMessages, storeRelayed, writeTimes } from './lib/seed.ts';
import {
  benchUsers,
  createdUserRows,
  storableUsers,
  userCreatedMessages,
  withFreshIds,
} from './lib/users.ts';

/** How big the phase is. */
export interface ConsolePlan {
  /** Pairs of rounds (one off, one on each). */
  pairs: number;
  usersPerRound: number;
  /** Users in the tables before the warm-up round. */
  fillUsers: number;
}

/** The process sampler's name for Cassandra, as the runner watches it. */
const cassandraProcessName: (typeof watchedServers)[number] = 'cassandra';

/** The process sampler's name for the console's process (and its esbuild child). */
export const consoleProcessName = 'npm run console (console phase, its own process)';

/** What the phase needs from the runner. */
export interface ConsolePhaseDeps {
  sampler: ProcessSampler;
  /** Detail within the phase, for the progress bar. */
  progress(label: string): void;
  /** serverless-offline has started: for the sampler and Ctrl-C. */
  started(offline: OfflinePipeline): void;
  /** The console's process started (its pid) or has stopped (undefined): for Ctrl-C. */
  consoleRunning(pid: number | undefined): void;
  /** A line that must stay on screen. */
  warn(message: string): void;
  /**
   * Waits for the machine to settle before each round's load (lib/quiet.ts): after the round before it (its
   * rows flushed and compacted) and, in an on round, after the console's start-up.
   */
  settle?(what: string): Promise<void>;
}

/** Users written per chunk of the fill, so a large fill never holds all its users in memory. */
const fillChunk = 20_000;

/** How long a round's rows may take to be readable once the sink has committed their offsets. */
const rowsTimeoutMs = 60_000;

/**
 * Runs the console phase on a private run, dropped afterwards.
 *
 * @throws {@link ConsolePhaseError} when the console does not start, exits or stops answering during a round,
 *   or a round's rows are missing; the first paint never throws (it is null, with a reason)
 */
export async function runConsolePhase(
  cfg: StackConfig,
  plan: ConsolePlan,
  deps: ConsolePhaseDeps,
): Promise<ConsolePhase> {
  const spec = profiles[0] as ProfileSpec;
  const names = runNames('console');
  const run = await prepareRun(cfg, names, spec.partitions);
  let offline: OfflinePipeline | undefined;
  let running: ConsoleProcess | undefined;
  deps.sampler.watch({
    name: consoleProcessName,
    pids: () => (running === undefined || running.exitCode() !== undefined ? [] : processTree(running.pid)),
  });
  const stopConsole = async () => {
    if (running === undefined) return;
    await running.stop();
    running = undefined;
    deps.consoleRunning(undefined);
  };
  try {
    deps.progress(`console: filling the tables with ${plan.fillUsers} users`);
    await fill(cfg, run, plan.fillUsers);
    offline = await startOffline(cfg, names, spec);
    deps.started(offline);

    const templates = benchUsers(plan.usersPerRound, 'bench-console');
    let produced = 0;
    let firstPaint: FirstPaint | undefined;
    const round = async (state: ConsoleState, label: string) => {
      deps.progress(`console: ${label}`);
      const users = withFreshIds(templates);
      await storeRelayed(run.pool, storableUsers(users));
      let viewer: Viewer | undefined;
      let counts: ViewerCounts | undefined;
      let use: RoundUse;
      try {
        if (state === 'on') {
          running = await startConsoleProcess(cfg, names, await freePort());
          deps.consoleRunning(running.pid);
          viewer = await openViewer(running);
        }
        await deps.settle?.(`console: ${label}`);
        const start = await readNow(deps.sampler);
        produced += users.length;
        await produceMessages(run.kafka, names.topic, userCreatedMessages(users));
        await waitForConsumed(run.kafka, names.topic, produced);
        use = roundUse(start, await readNow(deps.sampler));
        if (running !== undefined && viewer !== undefined) {
          const exit = running.exitCode();
          if (exit !== undefined) {
            throw new ConsolePhaseError(
              `npm run console exited (${exit}) during the round:\n${running.tail()}`,
              {
                code: 'CONSOLE_EXITED',
              },
            );
          }
          counts = await viewer.stop();
          viewer = undefined;
          if (firstPaint === undefined) {
            deps.progress(`console: ${label}: opening the page in chromium`);
            firstPaint = await measureFirstPaint(running.pageUrl);
          }
        }
      } finally {
        await viewer?.stop().catch(() => undefined);
        await stopConsole();
      }
      if (use.rebuilt) {
        deps.warn(
          `console phase, ${label}: the functions were rebuilt during the round (a .js or .ts file changed, and ` +
            "sls offline's serverless-esbuild watcher reloaded the sink), so its rate timed cold workers",
        );
      }
      // Read once the console is gone: a scan of the whole table is no part of any round.
      return { ...(await roundRate(run, users)), use, counts };
    };

    const warmup = await round('off', 'warm-up round, console off (not counted)');
    const schedule = abbaSchedule(plan.pairs);
    const rounds: ConsoleRound[] = [];
    const onUses: Array<{ cpuMs: number; seconds: number }> = [];
    let last = warmup;
    for (const [i, state] of schedule.entries()) {
      last = await round(state, `round ${i + 1} of ${schedule.length}, console ${state}`);
      const { span, use, counts } = last;
      if (state === 'on') onUses.push({ cpuMs: use.consoleCpuMs, seconds: use.seconds });
      rounds.push({
        round: i + 1,
        console: state,
        users: span.rows,
        seconds: span.seconds,
        perSecond: span.perSecond,
        cassandraCpuMsPerSecond: cpuMsPerSecond([{ cpuMs: use.cassandraCpuMs, seconds: use.seconds }]),
        otherCpuMsPerSecond: cpuMsPerSecond([{ cpuMs: use.otherCpuMs, seconds: use.seconds }]),
        functionsRebuilt: use.rebuilt,
        ...(counts === undefined
          ? {}
          : {
              consoleCpuMsPerSecond: cpuMsPerSecond([{ cpuMs: use.consoleCpuMs, seconds: use.seconds }]),
              ...counts,
            }),
      });
    }
    const ratios = pairRatios(rounds);
    const storedBefore = plan.fillUsers + plan.usersPerRound;
    return {
      usersPerRound: plan.usersPerRound,
      pairs: plan.pairs,
      cassandraRows: { before: warmup.tableRows, after: last.tableRows },
      postgresUsers: { before: storedBefore, after: storedBefore + rounds.length * plan.usersPerRound },
      warmupPerSecond: warmup.span.perSecond,
      rounds,
      pairRatios: ratios,
      medianRatio: median(ratios),
      consoleCpuMsPerSecond: cpuMsPerSecond(onUses),
      firstPaint: firstPaint ?? {
        firstContentfulPaintMs: null,
        firstSnapshotMs: null,
        reason: 'no round ran the console',
      },
    };
  } finally {
    await stopConsole();
    await offline?.stop();
    await run.close();
    await dropRun(cfg, names);
  }
}

/**
 * Fills the run's tables with `total` users as a pipeline that has run a while leaves them: stored and
 * relayed in PostgreSQL, written in Cassandra (by the raw baseline's loop, the fastest way in). One chunk of
 * users is generated and validated; every chunk copies it under fresh ids (the end-to-end load's
 * `freshUsers`), which takes a fraction of the time.
 */
async function fill(cfg: StackConfig, run: RunClients, total: number): Promise<void> {
  const templates = benchUsers(Math.min(fillChunk, total), 'bench-console-fill');
  const storable = storableUsers(templates);
  const rows = createdUserRows(templates);
  const client = createCassandraClient(functionConfig(cfg, run.names));
  try {
    for (let done = 0; done < total; done += fillChunk) {
      const users = [...freshUsers(storable, Math.min(fillChunk, total - done))];
      await storeRelayed(run.pool, users);
      await cassandraInsertBaseline({
        client,
        rows: users.map((u, i) => ({ ...(rows[i % rows.length] as CreatedUserRow), id: u.id })),
        warmupRows: 0,
      });
    }
  } finally {
    await client.shutdown();
  }
}

/** A reading of the process sampler and the machine now, for one end of a round. */
async function readNow(sampler: ProcessSampler): Promise<RoundReading> {
  const before = performance.now();
  await sampler.sample();
  return {
    // The middle of the time the sample took stands for the moment it read.
    atMs: (before + performance.now()) / 2,
    consoleMs: sampler.cpuMsOf(consoleProcessName),
    cassandraMs: sampler.cpuMsOf(cassandraProcessName),
    watchedMs: sampler.cpuMsTotal(),
    machineBusyMs: machineBusyMs(),
    bundleStamp: sinkBundleStamp(),
  };
}

/**
 * Opens the viewer on the console and waits for its first snapshot.
 *
 * @throws {@link ConsolePhaseError} `CONSOLE_VIEWER` when none comes
 */
async function openViewer(running: ConsoleProcess): Promise<Viewer> {
  const viewer = startViewer(running.baseUrl);
  try {
    await viewer.firstSnapshot;
    return viewer;
  } catch (error) {
    await viewer.stop().catch(() => undefined);
    throw new ConsolePhaseError(
      `the console sent no first snapshot on /api/live: ${errorText(error)}\n${running.tail()}`,
      { code: 'CONSOLE_VIEWER', cause: error },
    );
  }
}

/**
 * The sink's rate over Cassandra's write times of `users` only, and the rows the table holds. The sink commits
 * offsets only after the rows are written, so they are there; a read that misses some is tried again for a
 * while all the same, as waitForRows does.
 *
 * @throws {@link ConsolePhaseError} `CONSOLE_ROWS_MISSING` when some are still missing after a minute
 */
async function roundRate(
  run: RunClients,
  users: readonly User[],
): Promise<{ span: ReturnType<typeof spanRate>; tableRows: number }> {
  const ids = users.map((u) => u.login.uuid);
  const deadline = Date.now() + rowsTimeoutMs;
  for (;;) {
    const all = await writeTimes(run.cql);
    const times = ids.flatMap((id) => {
      const t = all.get(id);
      return t === undefined ? [] : [t];
    });
    if (times.length === ids.length) return { span: spanRate(times), tableRows: all.size };
    if (Date.now() > deadline) {
      throw new ConsolePhaseError(
        `created_users holds ${times.length} of the round's ${ids.length} rows after ${rowsTimeoutMs / 1000} s`,
        { code: 'CONSOLE_ROWS_MISSING' },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
