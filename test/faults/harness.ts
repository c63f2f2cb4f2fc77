/**
 * The fault suite's harness: one private copy of the pipeline under a real `sls offline start` on the real
 * stack, with a TCP fault proxy between the functions and PostgreSQL, its own randomuser stand-in, and the
 * one check every case ends with.
 *
 * A run has its own topic, dead-letter topic, keyspace and database, like a user's `npm start` with those
 * settings. The functions reach PostgreSQL through the proxy (a state folder of the run's own records the
 * proxy as the stack's PostgreSQL, which serverless.yml's local stage reads first), while the local
 * EventBridge keeps its events on the real server (LOCAL_EVENTBUS_PGHOST/PGPORT): on AWS the bus does not
 * share the database's fate either. The schedule is off, so the table holds exactly what the cases seed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type cassandra from 'cassandra-driver';
import type { Admin } from 'kafkajs';
import pg from 'pg';
import { expect } from 'vitest';
import { createUserStore } from '../../functions/lib/users-store.ts';
import { prepareUsers } from '../../functions/store-users/core.ts';
import { collectSummary, type PipelineSummary } from '../../infra/console/counts.ts';
import { invokeFunction } from '../../infra/dev/offline.ts';
import { readyStack } from '../../infra/dev/ready.ts';
import { loadStackConfig, type StackConfig } from '../../infra/local/config.ts';
import { resolvePostgres, stackConnection } from '../../infra/local/endpoints.ts';
import { functionEnv } from '../../infra/local/function-env.ts';
import { portOpen, readPid } from '../../infra/local/proc.ts';
import { services } from '../../infra/local/services.ts';
import { type RandomUserServerHandle, startRandomUserServer } from '../../infra/randomuser/index.ts';
import { errorText } from '../../lib/errors.ts';
import type { Kafka } from '../../lib/kafkajs.ts';
import { repoRoot } from '../../lib/paths.ts';
import { type FunctionName, ports, sinkGroupId } from '../../lib/topology.ts';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.ts';
import { readAll } from '../helpers/kafka-events.ts';
import { freshUsers, seededIds } from '../helpers/pipeline.ts';
import { type GroupProcess, type PipelineRun, pipelineRun, startGroup } from '../helpers/process.ts';
import {
  cassandraClient,
  createdUserIds,
  dropRun,
  eventually,
  kafkaClient,
  uniqueName,
} from '../helpers/stack.ts';

/** serverless-offline's ports for one instance; a second instance of the same run takes others. */
export interface OfflinePorts {
  http: number;
  lambda: number;
  eventBus: number;
}

export const firstInstance: OfflinePorts = {
  http: ports.offlineHttp,
  lambda: ports.offlineLambda,
  eventBus: ports.eventBus,
};
export const secondInstance: OfflinePorts = { http: 3010, lambda: 3012, eventBus: 4020 };

/** What a case measured, as the suite prints it. */
export interface Outcome {
  /** Users this case seeded. */
  seeded: number;
  /** Users every case of the run seeded so far: what the table must hold. */
  inTable: number;
  lost: number;
  /** Seeded ids Cassandra holds more than once (a full scan, counted by id). */
  duplicated: number;
  /** Rows in Cassandra that no case seeded. */
  unexpected: number;
  /** Records on the topic beyond one per id: the Kafka hop is at least once, the sink's upsert absorbs them. */
  redelivered: number;
  /** Seconds from the end of the fault to the check passing. */
  recoveredSeconds: number;
  summary: PipelineSummary;
}

/** The pid of a stack server, from the pid file the stack manager keeps. */
export function serverPid(cfg: StackConfig, name: 'kafka' | 'cassandra'): number {
  const { pidFile } = services(cfg)[name];
  const pid = readPid(pidFile);
  if (pid === undefined) throw new Error(`${name} is not running: no pid in ${pidFile}`);
  return pid;
}

/**
 * What a case ends with when only poison records may be dead-lettered: nothing lost, nothing twice, nothing
 * unexpected, no dead delivery on the bus, no dead outbox row, and `deadLetters` records on the DLQ topic.
 */
export function expectClean(outcome: Outcome, deadLetters = 0): void {
  expect(outcome).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
  expect(outcome.summary).toMatchObject({ busDeadLettered: 0, outboxDead: 0, deadLetters });
}

/** How long the start's outbox sweep may take before it is tried again. */
const sweepTimeoutMs = 90_000;

/** `promise`, or a rejection once `ms` have passed without it settling. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One private pipeline run for a fault case file. */
export class FaultRun {
  readonly names: PipelineRun;
  readonly cfg: StackConfig;
  /** Every id seeded so far, across the file's cases: the table must hold exactly these. */
  readonly seeded = new Set<string>();
  /** Ids seeded since the last {@link settle}: the case's own users. */
  private caseSeeded = 0;
  private instances = new Map<OfflinePorts, GroupProcess>();
  private db: pg.Pool;
  private cql: cassandra.Client;
  private kafka: Kafka;
  private admin: Admin;

  private constructor(
    prefix: string,
    readonly postgresProxy: FaultProxy,
    readonly randomuser: RandomUserServerHandle,
    private readonly stateDir: string,
  ) {
    this.names = pipelineRun(uniqueName(prefix));
    this.cfg = loadStackConfig();
    this.db = new pg.Pool({
      ...stackConnection({ ...resolvePostgres(this.cfg), database: this.names.database }),
      max: 2,
    });
    this.db.on('error', () => {});
    this.cql = cassandraClient(this.cfg);
    this.kafka = kafkaClient(this.cfg);
    this.admin = this.kafka.admin();
  }

  /** Readies the stack and the run's own topics, keyspace and database, with a proxy before PostgreSQL. */
  static async open(prefix: string): Promise<FaultRun> {
    const cfg = loadStackConfig();
    const postgres = resolvePostgres(cfg);
    const proxy = await startFaultProxy(postgres);
    const randomuser = await startRandomUserServer({ host: '127.0.0.1', port: 0 });
    const stateDir = mkdtempSync(join(tmpdir(), 'fault-run-'));
    const run = new FaultRun(prefix, proxy, randomuser, stateDir);
    await readyStack(
      {
        ...cfg,
        postgres: { ...cfg.postgres, database: run.names.database },
        pipeline: {
          ...cfg.pipeline,
          topic: run.names.topic,
          deadLetterTopic: run.names.dlq,
          keyspace: run.names.keyspace,
        },
      },
      () => {},
    );
    // What serverless.yml's local stage reads as the stack's PostgreSQL: the proxy.
    writeFileSync(
      join(stateDir, 'postgres.json'),
      JSON.stringify({
        host: proxy.host,
        port: proxy.port,
        user: postgres.user,
        database: run.names.database,
      }),
    );
    await run.admin.connect();
    return run;
  }

  /** Starts `sls offline start` on `ports` and resolves once its Kafka event source consumes the topic. */
  async start(ports: OfflinePorts = firstInstance): Promise<GroupProcess> {
    const postgres = resolvePostgres(this.cfg);
    const proc = startGroup(
      join(repoRoot, 'node_modules', '.bin', 'sls'),
      ['offline', 'start', '--httpPort', String(ports.http), '--lambdaPort', String(ports.lambda)],
      {
        cwd: repoRoot,
        env: {
          ...functionEnv(this.cfg, {
            postgres: { ...postgres, host: this.postgresProxy.host, port: this.postgresProxy.port },
            database: this.names.database,
            topic: this.names.topic,
            deadLetterTopic: this.names.dlq,
            keyspace: this.names.keyspace,
            randomuserUrl: this.randomuser.url,
            eventBridgeEndpoint: `http://127.0.0.1:${ports.eventBus}`,
          }),
          LOCAL_STACK_DIR: this.stateDir,
          LOCAL_EVENTBUS_PORT: String(ports.eventBus),
          LOCAL_EVENTBUS_PGHOST: postgres.host,
          LOCAL_EVENTBUS_PGPORT: String(postgres.port),
          // Retries every second or two instead of AWS's minutes, so a case recovers within the suite's budget.
          LOCAL_EVENTBUS_RETRY_BASE_MS: '200',
          LOCAL_EVENTBUS_RETRY_MAX_MS: '2000',
          FETCH_SCHEDULE_ENABLED: 'false',
          LOG_LEVEL: 'WARN',
          // The event source's line per invocation (a DEBUG system log; serverless.yml logs at WARN), which
          // the concurrency cases read.
          OFFLINE_KAFKA_SYSTEM_LOG_LEVEL: 'DEBUG',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      },
    );
    this.instances.set(ports, proc);
    await eventually(
      `sls offline start on :${ports.lambda} to consume ${this.names.topic}`,
      async () => (proc.output().includes(`consuming ${this.names.topic} as group`) ? true : undefined),
      180_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${proc.output().slice(-3000)}`);
    });
    // As `npm start` does once the functions are served: one outbox sweep for what a crash left unpublished.
    // Bounded, and tried once more: in one CI run this first invocation never answered and the suite's hook
    // timed out with nothing to show; the sweep is idempotent, and a second failure says what the process said.
    for (let attempt = 1; ; attempt++) {
      try {
        await within(this.invoke('publish-users', {}, ports), sweepTimeoutMs);
        break;
      } catch (error) {
        if (attempt < 2) continue;
        throw new Error(`the start's outbox sweep: ${errorText(error)}\n${proc.output().slice(-3000)}`);
      }
    }
    return proc;
  }

  /** The running instance on `ports`. */
  instance(ports: OfflinePorts = firstInstance): GroupProcess {
    const proc = this.instances.get(ports);
    if (!proc) throw new Error(`no sls offline start on :${ports.lambda}`);
    return proc;
  }

  /** SIGKILL to the instance's whole process group: a crash. */
  async kill(ports: OfflinePorts = firstInstance): Promise<void> {
    await this.instance(ports).kill();
    this.instances.delete(ports);
  }

  /** Ctrl-C to the instance; resolves with its exit code. */
  async stop(ports: OfflinePorts = firstInstance): Promise<number | string> {
    const code = await this.instance(ports).interrupt();
    this.instances.delete(ports);
    return code;
  }

  /** Invokes `fn` through the instance's Lambda Invoke API, as Lambda's request-response invoke does. */
  invoke(fn: FunctionName, event: unknown, ports: OfflinePorts = firstInstance): Promise<unknown> {
    return invokeFunction(fn, event, ports.lambda);
  }

  /**
   * Runs fetch-users for `total` users of `seed` (without waiting for the rest of the pipeline) and records
   * the ids it puts through; returns them.
   */
  async fetch(seed: string, total: number, ports: OfflinePorts = firstInstance): Promise<string[]> {
    const ids = seededIds(`${this.names.keyspace}-${seed}`, total);
    this.record(ids);
    await this.invoke('fetch-users', { seed: `${this.names.keyspace}-${seed}`, total }, ports);
    return ids;
  }

  /**
   * Stores `count` fresh users straight into `users_raw` and the outbox with store-users' own SQL, as a batch
   * that no `UsersStored` event announces: only a relay that runs anyway (a case's own, the sweep) publishes
   * them. Records and returns their ids.
   */
  async storeUnannounced(batchId: string, count: number): Promise<string[]> {
    const batch = { batchId, fetchedAt: new Date().toISOString() };
    const prepared = prepareUsers(freshUsers(count), batch, batchId);
    const ids = await createUserStore(this.db).insertWithOutbox({ ...batch, users: prepared.users });
    this.record(ids);
    return ids;
  }

  /** Records ids that reached the topic by another way than fetch-users (a test's own producer). */
  expect(ids: Iterable<string>): void {
    this.record(ids);
  }

  private record(ids: Iterable<string>): void {
    for (const id of ids) {
      if (this.seeded.has(id)) continue;
      this.seeded.add(id);
      this.caseSeeded += 1;
    }
  }

  /** Every id in the run's `created_users`, one entry per row of a full scan. */
  sinkIds(): Promise<string[]> {
    return createdUserIds(this.cql, this.names.keyspace);
  }

  /**
   * Runs fetch-users for `total` users of `seed`, then waits until the sink is part-way through them (some,
   * not all, in Cassandra): the moment a case injects a mid-stream fault. Returns how many were in.
   */
  async fetchPartWay(seed: string, total: number): Promise<number> {
    const ids = await this.fetch(seed, total);
    return eventually(
      `the sink to be part-way through ${seed}`,
      async () => {
        const n = await this.countIn(ids);
        return n > 0 && n < ids.length ? n : undefined;
      },
      120_000,
    );
  }

  /** How many of `ids` are in Cassandra now. */
  async countIn(ids: readonly string[]): Promise<number> {
    const present = new Set(await this.sinkIds());
    return ids.filter((id) => present.has(id)).length;
  }

  /**
   * Outbox rows neither published nor dead, now: one PostgreSQL count, cheap enough to poll every few
   * milliseconds where {@link summary} (which also scans Cassandra) takes a few hundred.
   */
  async outboxPending(): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>(
      'SELECT count(*) AS n FROM outbox WHERE published_at IS NULL AND dead_at IS NULL',
    );
    return Number(rows[0]?.n);
  }

  /** Every stage, as `npm start`'s summary reads it, with the PostgreSQL reads on the real server. */
  summary(): Promise<PipelineSummary> {
    return collectSummary({
      pg: this.db,
      bus: this.db,
      admin: this.admin,
      cql: this.cql,
      topic: this.names.topic,
      deadLetterTopic: this.names.dlq,
      groupId: sinkGroupId,
      keyspace: this.names.keyspace,
      fetched: () => 0,
    });
  }

  /**
   * The check every case ends with: waits until every seeded id is in Cassandra, the outbox and the bus are
   * drained and the consumer group has no lag; then measures lost, duplicated and unexpected rows against
   * everything seeded so far, and prints the case's line. `recoveryStart` is when the fault ended.
   */
  async settle(name: string, recoveryStart: number, timeoutMs = 240_000): Promise<Outcome> {
    const wanted = this.seeded;
    let last: PipelineSummary | undefined;
    await eventually(
      `${name}: all ${wanted.size} seeded users in Cassandra, the outbox and the bus drained`,
      async () => {
        const rows = await this.sinkIds();
        const present = new Set(rows);
        last = await this.summary();
        const lagging = (last.lag ?? [{ partition: -1, lag: 1 }]).some((p) => p.lag > 0);
        const done =
          [...wanted].every((id) => present.has(id)) &&
          last.outboxPending === 0 &&
          last.busPending === 0 &&
          !lagging;
        return done ? true : undefined;
      },
      timeoutMs,
    ).catch((error: Error) => {
      const tail = [...this.instances.values()].map((p) => p.output().slice(-2000)).join('\n---\n');
      throw new Error(`${error.message}\nlast summary: ${JSON.stringify(last)}\n${tail}`);
    });
    const recoveredSeconds = (performance.now() - recoveryStart) / 1000;
    const rows = await this.sinkIds();
    const counts = new Map<string, number>();
    for (const id of rows) counts.set(id, (counts.get(id) ?? 0) + 1);
    const onTopic = await readAll(this.kafka, this.names.topic);
    const keys = new Set(onTopic.map((r) => r.key?.toString()));
    const outcome: Outcome = {
      seeded: this.caseSeeded,
      inTable: wanted.size,
      lost: [...wanted].filter((id) => !counts.has(id)).length,
      duplicated: [...counts.values()].filter((n) => n > 1).length,
      unexpected: [...counts.keys()].filter((id) => !wanted.has(id)).length,
      redelivered: onTopic.length - keys.size,
      recoveredSeconds,
      summary: await this.summary(),
    };
    console.log(
      `fault ${name}: seeded ${outcome.seeded} (${outcome.inTable} in the table), lost ${outcome.lost}, duplicated ${outcome.duplicated}, ` +
        `redelivered on Kafka ${outcome.redelivered}, recovered in ${recoveredSeconds.toFixed(1)} s`,
    );
    this.caseSeeded = 0;
    return outcome;
  }

  /** Stops every instance (Ctrl-C), the proxy and the stand-in, and drops the run's topics, keyspace and database. */
  async close(): Promise<void> {
    for (const ports of [...this.instances.keys()]) await this.stop(ports).catch(() => {});
    await this.admin.disconnect().catch(() => {});
    await this.cql.shutdown().catch(() => {});
    await this.db.end().catch(() => {});
    await this.postgresProxy.close();
    await this.randomuser.close();
    await dropRun({
      keyspace: this.names.keyspace,
      topics: [this.names.topic, this.names.dlq],
      database: this.names.database,
    }).catch(() => {});
    rmSync(this.stateDir, { recursive: true, force: true });
    await eventually('serverless-offline to free its ports', async () =>
      (
        await Promise.all(
          [firstInstance, secondInstance]
            .flatMap((i) => [i.http, i.lambda, i.eventBus])
            .map((p) => portOpen('127.0.0.1', p)),
        )
      ).some(Boolean)
        ? undefined
        : true,
    );
  }
}
