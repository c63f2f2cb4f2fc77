/**
 * infra/dev is the dev runner: what a developer runs to see the pipeline work on the local stack, as opposed
 * to the stack manager itself (infra/local, `npm run stack:*`). It holds `npm start` (this file), readying the
 * stack for a run (`ready.ts`: up, then migrate), the live summary `npm start` prints (`summary.ts`), invoking
 * the functions through serverless-offline (`offline.ts`), and `npm run cql` (`cql.ts`) for looking at what
 * the pipeline wrote. It builds on infra/local and infra/migrations; neither imports it.
 *
 * `npm start`: the whole pipeline on the embedded local stack, under `sls offline start`.
 *
 * In order: brings the stack up if needed and applies the migrations (for the topics and keyspace the
 * config names), starts the local randomuser API (unless RANDOMUSER_URL is set), then runs serverless-offline
 * with its plugins: the local EventBridge (infra/eventbus) keeps PutEvents durably in PostgreSQL and delivers
 * them between the functions, and the offline-kafka plugin feeds `users_created` to sink-users. fetch-users
 * runs once right away (FETCH_ON_START) and then on its schedule (FETCH_SCHEDULE, FETCH_TOTAL users a run,
 * FETCH_SCHEDULE_ENABLED); an outbox sweep at start publishes what an earlier run left behind. Every few
 * seconds a summary line shows each stage. The console (infra/console) starts beside serverless-offline,
 * reads the functions' errors from its relayed output, and prints its URL (`[start] console:
 * http://127.0.0.1:3300/#token=...`). Ctrl-C, SIGTERM or a closing terminal (SIGHUP) stops serverless-offline's
 * whole process group (which lets invocations in flight finish and commits nothing else), the local API, the
 * summary and the console, exits 0, and leaves the servers running for the next start; a second signal kills
 * the group at once (`stopper.ts`).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import cassandra from 'cassandra-driver';
import { logLevel } from 'kafkajs';
import pg from 'pg';
import { errorText } from '../../lib/errors.ts';
import { Kafka } from '../../lib/kafkajs.ts';
import { repoRoot } from '../../lib/paths.ts';
import { ports, sinkGroupId } from '../../lib/topology.ts';
import { type PacedSummary, pacedSummary } from '../console/counts.ts';
import { type RunningConsole, startConsole } from '../console/server.ts';
import { busSchema } from '../eventbus/store.ts';
import {
  cassandraContactPoint,
  kafkaBroker,
  loadStackConfig,
  type StackConfig,
  schemaRegistryUrl,
} from '../local/config.ts';
import {
  eventBusPostgres,
  type PostgresEndpoint,
  resolvePostgres,
  stackConnection,
} from '../local/endpoints.ts';
import { StackError } from '../local/errors.ts';
import { functionEnv, localEventBusEndpoint, stackOverrides } from '../local/function-env.ts';
import { portOpen, waitFor } from '../local/proc.ts';
import { startRandomUserServer } from '../randomuser/index.ts';
import { invokeFunction, signalGroup } from './offline.ts';
import { readyStack } from './ready.ts';
import { createStopper, type StopSignal, stopSignals } from './stopper.ts';
import { countFetched, formatSummary } from './summary.ts';

/** How long the summary's clients and the local API get to close once serverless-offline has exited. */
const cleanupMs = 5_000;

async function main(): Promise<number> {
  // A closed terminal makes every write fail (EIO on the terminal, EPIPE on a pipe). Stopping must go on
  // without output then, not die on the first failed write and leave serverless-offline running.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  // Until serverless-offline runs there is nothing of ours to stop but this process: the servers readyStack
  // starts are meant to outlive it.
  const exitEarly = (signal: StopSignal) => {
    console.log(`[start] ${signal} before serverless-offline started: exiting`);
    process.exit(0);
  };
  for (const signal of stopSignals) process.on(signal, exitEarly);

  const cfg = loadStackConfig();
  const overrides = stackOverrides(process.env, cfg);
  if (overrides.length > 0) {
    throw new StackError(
      `npm start runs the functions on the local stack, so it cannot take these settings:\n  ${overrides.join('\n  ')}\n` +
        'To run the functions against other servers, use `npx sls invoke local` with those settings.',
      { code: 'START_SETTING_OVERRIDDEN' },
    );
  }
  const t0 = performance.now();
  console.log(`[start] local stack in ${cfg.stateDir}`);
  await readyStack(cfg, (line) => console.log(`[start] ${line}`));
  console.log(`[start] stack ready in ${((performance.now() - t0) / 1000).toFixed(1)}s`);

  // The server as the stack recorded it; the database as this run's config names it.
  const pgEndpoint = { ...resolvePostgres(cfg), database: cfg.postgres.database };
  const randomuser = cfg.randomuser.url
    ? undefined
    : await startRandomUserServer({ host: '127.0.0.1', port: cfg.randomuser.port });
  const randomuserUrl = randomuser?.url ?? cfg.randomuser.url;
  const eventBridgeEndpoint = cfg.eventBus.endpoint ?? localEventBusEndpoint(cfg);
  console.log(`[start] randomuser API: ${randomuserUrl}${randomuser ? ' (local)' : ''}`);
  const busEndpoint = eventBusPostgres(cfg);
  console.log(
    `[start] EventBridge PutEvents: ${eventBridgeEndpoint} (infra/eventbus; events kept in ${busEndpoint.host}:${busEndpoint.port}/${busEndpoint.database}, schema ${busSchema})`,
  );
  console.log(
    `[start] pipeline: topic ${cfg.pipeline.topic}, dead letters ${cfg.pipeline.deadLetterTopic}, keyspace ${cfg.pipeline.keyspace}, database ${pgEndpoint.database}`,
  );
  // serverless.yml's local stage gives the functions the stack's registry unless the variable is set.
  const registryUrl = process.env.SCHEMA_REGISTRY_URL ?? schemaRegistryUrl(cfg);
  console.log(
    registryUrl === ''
      ? `[start] values on ${cfg.pipeline.topic}: plain JSON (SCHEMA_REGISTRY_URL is empty)`
      : `[start] values on ${cfg.pipeline.topic}: Confluent wire format, schema ids from ${registryUrl} (\`SCHEMA_REGISTRY_URL=\` for plain JSON)`,
  );

  const child = spawn(
    join(repoRoot, 'node_modules', '.bin', 'sls'),
    ['offline', 'start', ...process.argv.slice(2)],
    {
      cwd: repoRoot,
      // Its own process group, so Ctrl-C reaches serverless-offline and whatever it started, and a kill of
      // the group leaves nothing behind.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ...functionEnv(cfg, { postgres: pgEndpoint, randomuserUrl, eventBridgeEndpoint }),
        // Lambda runs Node 22; the SDK's warning about Node 20 here says nothing about the deployed code.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    },
  );

  if (child.pid !== undefined)
    console.log(`[start] serverless-offline: pid ${child.pid}, its own process group`);

  let fetched = 0;
  // The console reads the functions' errors from the same lines.
  const lineListeners: Array<(line: string) => void> = [];
  const relay = (stream: NodeJS.ReadableStream, out: NodeJS.WriteStream) => {
    createInterface({ input: stream }).on('line', (line) => {
      fetched = countFetched(line, fetched);
      for (const listener of lineListeners) listener(line);
      out.write(`${line}\n`);
    });
  };
  if (child.stdout) relay(child.stdout, process.stdout);
  if (child.stderr) relay(child.stderr, process.stderr);
  const exited = new Promise<number>((resolve) => {
    // 'exit', not 'close': a grandchild that keeps the pipes open must not keep `npm start` waiting.
    child.on('exit', (code, signal) =>
      resolve(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1)),
    );
  });

  const stopper = createStopper({
    signalGroup: (signal) => signalGroup(child, signal),
    log: (line) => console.log(line),
    now: () => performance.now(),
    after: (ms, fn) => {
      setTimeout(fn, ms).unref();
    },
  });
  for (const signal of stopSignals) {
    process.off(signal, exitEarly);
    process.on(signal, () => stopper.onSignal(signal));
  }

  // A console that cannot start (its port taken, say) costs the run its page, not the pipeline.
  const pipelineConsole: Promise<RunningConsole | undefined> = startConsole({
    cfg,
    lines: (listener) => lineListeners.push(listener),
    fetched: () => fetched,
  }).then(
    (running) => {
      console.log(`[start] console: ${running.url}`);
      return running;
    },
    (error: unknown) => {
      console.error(`[start] console not started: ${errorText(error)}`);
      return undefined;
    },
  );
  const summary = startSummary(cfg, pgEndpoint, busEndpoint, () => fetched, pipelineConsole);
  void firstRuns(cfg, () => stopper.stopping);

  const code = await exited;
  // Whatever serverless-offline left in its group (it should leave nothing) goes too.
  signalGroup(child, 'SIGKILL');
  // A server that stopped answering (SIGSTOP, say) must not hold `npm start` open: after cleanupMs the exit
  // closes whatever is left.
  let cleanupTimer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled([summary.stop(), randomuser?.close(), pipelineConsole.then((c) => c?.close())]),
    new Promise((resolve) => {
      cleanupTimer = setTimeout(resolve, cleanupMs);
    }),
  ]);
  clearTimeout(cleanupTimer);
  if (!stopper.stopping) return code;
  const stopped = [
    'serverless-offline',
    ...(randomuser ? ['the local randomuser API'] : []),
    'the summary',
    ...((await pipelineConsole) ? ['the console'] : []),
  ];
  console.log(`[start] stopped${stopper.forced ? ' (killed)' : ''}: ${stopped.join(', ')}`);
  return 0;
}

/**
 * As soon as serverless-offline serves the functions: one outbox sweep, which publishes whatever a previous
 * run left unpublished (a crash between commit and relay), and one fetch-users run (FETCH_ON_START), so
 * users flow without waiting for the schedule.
 */
async function firstRuns(cfg: StackConfig, stopping: () => boolean): Promise<void> {
  try {
    const up = await waitFor(
      () => portOpen('127.0.0.1', ports.offlineLambda).then((open) => open || undefined),
      { timeoutMs: 180_000, abort: () => (stopping() ? 'stopping' : undefined) },
    );
    if (!up) throw new Error(`serverless-offline did not serve port ${ports.offlineLambda} within 180 s`);
    await invokeFunction('publish-users', {});
    if (!cfg.pipeline.fetchOnStart || stopping()) return;
    console.log('[start] running fetch-users now (FETCH_ON_START); then on its schedule');
    await invokeFunction('fetch-users', {});
  } catch (error) {
    if (!stopping()) console.error(`[start] the first runs failed: ${errorText(error)}`);
  }
}

/**
 * Prints {@link formatSummary} every `statusIntervalMs` until stopped. It reads through the console's own
 * paced reader when the console started, so the tables are counted once for both; without a console it opens
 * clients of its own, paced the same way.
 */
function startSummary(
  cfg: StackConfig,
  endpoint: PostgresEndpoint,
  busEndpoint: PostgresEndpoint,
  fetched: () => number,
  pipelineConsole: Promise<RunningConsole | undefined>,
) {
  const reader = pipelineConsole.then((running) =>
    running
      ? { read: running.summary, close: async () => {} }
      : ownSummaryReader(cfg, endpoint, busEndpoint, fetched),
  );
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const reading = await (await reader).read();
      console.log(`[pipeline] ${formatSummary(reading)}`);
    } catch (error) {
      console.log(`[pipeline] summary unavailable: ${errorText(error)}`);
    } finally {
      busy = false;
    }
  }, cfg.pipeline.statusIntervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await (await reader).close();
    },
  };
}

/** The summary's own clients and paced reader, for a run whose console did not start. */
function ownSummaryReader(
  cfg: StackConfig,
  endpoint: PostgresEndpoint,
  busEndpoint: PostgresEndpoint,
  fetched: () => number,
): { read: () => Promise<PacedSummary>; close: () => Promise<void> } {
  const pool = new pg.Pool({ ...stackConnection(endpoint), max: 1 });
  pool.on('error', () => {});
  // The bus's tables are in the same database unless LOCAL_EVENTBUS_PGHOST/PGPORT put the bus elsewhere.
  const samePlace = busEndpoint.host === endpoint.host && busEndpoint.port === endpoint.port;
  const busPool = samePlace ? pool : new pg.Pool({ ...stackConnection(busEndpoint), max: 1 });
  busPool.on('error', () => {});
  const kafka = new Kafka({
    clientId: 'npm-start-summary',
    brokers: [kafkaBroker(cfg)],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const cql = new cassandra.Client({
    contactPoints: [cassandraContactPoint(cfg)],
    localDataCenter: cfg.cassandra.localDataCenter,
  });
  // Paced as the console's are (counts.ts): the counts scan whole tables, and the line must not slow the
  // pipeline down as they grow.
  const readSummary = pacedSummary({
    pg: pool,
    bus: busPool,
    admin,
    cql,
    topic: cfg.pipeline.topic,
    deadLetterTopic: cfg.pipeline.deadLetterTopic,
    groupId: sinkGroupId,
    keyspace: cfg.pipeline.keyspace,
    fetched,
  });
  let connected: Promise<void> | undefined;
  return {
    async read() {
      try {
        connected ??= admin.connect();
        await connected;
      } catch (error) {
        connected = undefined;
        throw error;
      }
      return readSummary();
    },
    async close() {
      await Promise.allSettled([
        pool.end(),
        samePlace ? undefined : busPool.end(),
        admin.disconnect(),
        cql.shutdown(),
      ]);
    },
  };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof StackError ? `error: ${error.message}` : error);
    process.exit(1);
  },
);
