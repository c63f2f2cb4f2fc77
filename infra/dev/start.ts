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
 * them between the functions, and the offline-kafka plugin feeds `users_created` to sink-users. fetch-users runs once right away (FETCH_ON_START)
 * and then on its schedule (FETCH_SCHEDULE, FETCH_TOTAL users a run, FETCH_SCHEDULE_ENABLED); an outbox sweep at
 * start publishes what an earlier run left behind. Every few seconds a summary line
 * shows each stage. Ctrl-C stops serverless-offline (which lets invocations in flight finish and commits
 * nothing else) and the local API, and leaves the servers running for the next start.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import cassandra from 'cassandra-driver';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { errorText } from '../../lib/errors.ts';
import { repoRoot } from '../../lib/paths.ts';
import { ports } from '../../lib/topology.ts';
import { busSchema } from '../eventbus/store.ts';
import { cassandraContactPoint, kafkaBroker, loadStackConfig, type StackConfig } from '../local/config.ts';
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
import { invokeFunction, signalGroup, sinkGroupId } from './offline.ts';
import { readyStack } from './ready.ts';
import { collectSummary, countFetched, formatSummary } from './summary.ts';

/** serverless-offline waits up to 30 s for invocations in flight; after this much more it is killed. */
const stopGraceMs = 45_000;

async function main(): Promise<number> {
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

  let fetched = 0;
  const relay = (stream: NodeJS.ReadableStream, out: NodeJS.WriteStream) => {
    createInterface({ input: stream }).on('line', (line) => {
      fetched = countFetched(line, fetched);
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

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log(
      '[start] stopping serverless-offline (invocations in flight may finish; nothing else is committed)',
    );
    signalGroup(child, 'SIGINT');
    setTimeout(() => signalGroup(child, 'SIGKILL'), stopGraceMs).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const summary = startSummary(cfg, pgEndpoint, busEndpoint, () => fetched);
  void firstRuns(cfg, () => stopping);

  const code = await exited;
  // Whatever serverless-offline left in its group (it should leave nothing) goes too.
  signalGroup(child, 'SIGKILL');
  await summary.stop();
  await randomuser?.close();
  return stopping ? 0 : code;
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

/** Prints {@link formatSummary} every `statusIntervalMs` until stopped. */
function startSummary(
  cfg: StackConfig,
  endpoint: PostgresEndpoint,
  busEndpoint: PostgresEndpoint,
  fetched: () => number,
) {
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
  let connected: Promise<void> | undefined;
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      connected ??= admin.connect();
      await connected;
      const reading = await collectSummary({
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
      console.log(`[pipeline] ${formatSummary(reading)}`);
    } catch (error) {
      connected = undefined;
      console.log(`[pipeline] summary unavailable: ${errorText(error)}`);
    } finally {
      busy = false;
    }
  }, cfg.pipeline.statusIntervalMs);
  return {
    async stop() {
      clearInterval(timer);
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
