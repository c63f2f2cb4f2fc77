/**
 * infra/local is the stack manager, `npm run stack:*`, and nothing else: the stack's settings (`config.ts`),
 * its services (Kafka, Cassandra, PostgreSQL, the Schema Registry, and the Spark master and worker of
 * `--with-spark`), how their jars, JDKs and processes are found and run, their health checks, the record of
 * where PostgreSQL answers (`endpoints.ts`, `.local/postgres.json`), and what the functions' environment is on
 * this stack (`function-env.ts`). It imports no other room of infra/: the dev runner (infra/dev), the
 * migrations and Spark build on it, never the other way round.
 *
 * This module is its core: brings Kafka, Cassandra, PostgreSQL and the Schema Registry up as plain processes,
 * reuses what it already started, stops only its own processes (by pid), reports status, and wipes state on
 * request.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StackConfig } from './config.ts';
import { ensureDatabase } from './database.ts';
import { type PostgresEndpoint, postgresEndpointFile, resolvePostgres } from './endpoints.ts';
import { CorruptStateError, PortInUseError, StackError, StartupError } from './errors.ts';
import { postgresHealth } from './health.ts';
import {
  isAlive,
  ownedPid,
  portHolder,
  portOpen,
  spawnDetached,
  stopPid,
  tailFile,
  usage,
  waitFor,
} from './proc.ts';
import { dropRegistryDatabase } from './registry.ts';
import {
  type Launch,
  type PrepareContext,
  SERVICE_NAMES,
  type Service,
  type ServiceName,
  services,
} from './services.ts';
import { SPARK_SERVICE_NAMES } from './spark.ts';

export type Log = (line: string) => void;

export interface UpResult {
  name: ServiceName;
  outcome: 'started' | 'reused' | 'external';
  cold: boolean;
  seconds: number;
  pid: number | undefined;
  version: string;
}

/** One aligned line describing what `up` did with a service, e.g. `kafka      4.3.1    started (warm) in 9.8s`. */
export function describeUp(r: UpResult): string {
  const what =
    r.outcome === 'started'
      ? `started (${r.cold ? 'cold' : 'warm'}) in ${r.seconds.toFixed(1)}s`
      : r.outcome === 'reused'
        ? 'already running, reused'
        : 'external server, used as is';
  return `${r.name.padEnd(10)} ${r.version.padEnd(8)} ${what}`;
}

type Plan =
  | { service: Service; mode: 'reuse'; pid: number }
  | { service: Service; mode: 'start' }
  | { service: Service; mode: 'external'; endpoint: { host: string; port: number } };

/** With LOCAL_STACK_EXTERNAL set, a server the stack expected someone else to run is not there. */
function notRunning(name: ServiceName, host: string, port: number): StackError {
  return new StackError(
    `LOCAL_STACK_EXTERNAL is set, so the stack starts no servers, but no ${name} answers at ${host}:${port}. ` +
      'Start your servers first (for example `docker compose up -d --wait`), or unset LOCAL_STACK_EXTERNAL.',
  );
}

const LOG_ROTATE_BYTES = 64 * 1024 * 1024;

/** Throws PortInUseError if any port of `service` is held by a process this stack did not start. */
async function checkPorts(service: Service): Promise<void> {
  for (const { port } of service.ports) {
    if (await portOpen('127.0.0.1', port, 500)) {
      throw new PortInUseError(service.name, port, await portHolder(port));
    }
  }
}

async function rotateLog(file: string): Promise<void> {
  if (existsSync(file) && statSync(file).size > LOG_ROTATE_BYTES) await rename(file, `${file}.1`);
}

/** Launches one prepared service and waits until its health check passes. */
async function start(service: Service, launch: Launch) {
  await rotateLog(service.logFile);
  const logStart = existsSync(service.logFile) ? statSync(service.logFile).size : 0;
  const pid = await spawnDetached({
    ...launch,
    cwd: service.dir,
    logFile: service.logFile,
    pidFile: service.pidFile,
  });
  let exited = false;
  const healthy = await waitFor(service.health, {
    timeoutMs: service.startTimeoutMs,
    intervalMs: 500,
    abort: () => {
      if (isAlive(pid)) return undefined;
      exited = true;
      return 'exited';
    },
  }).catch(() => undefined);
  if (healthy) return { pid, healthy };

  const output = readFileSync(service.logFile, 'utf8').slice(logStart);
  const lastLines = output.split('\n').slice(-25).join('\n');
  if (!exited) await stopPid(pid, service.pidFile, 10_000);
  else await rm(service.pidFile, { force: true });
  const evidence = corruptionEvidence(service, output);
  if (evidence) {
    throw new CorruptStateError(
      service.name,
      `the server failed on it at start-up: ${evidence} (full log: ${service.logFile})`,
      service.dataDir,
    );
  }
  throw new StartupError(
    `${service.name} ${exited ? 'exited during start-up' : `was not healthy after ${service.startTimeoutMs / 1000}s`}. ` +
      `Last log lines (full log: ${service.logFile}):\n${lastLines}`,
  );
}

/**
 * The log line showing that a server failed on its own state: one of the service's known patterns, or an
 * error that names a file in its data directory.
 */
export function corruptionEvidence(
  service: Pick<Service, 'corruptPatterns' | 'dataDir'>,
  log: string,
): string | undefined {
  const lines = log.split('\n');
  const known = lines.find((line) => service.corruptPatterns.some((p) => p.test(line)));
  const inDataDir = lines.find(
    (line) => /(ERROR|Exception|Error)\b/.test(line) && line.includes(service.dataDir),
  );
  return (known ?? inDataDir)?.trim();
}

/**
 * Where PostgreSQL answers in an `up` with these plans: the machine's server when the plan uses it, the private
 * cluster when the stack runs one, and where an earlier `up` recorded it when PostgreSQL is not part of this one.
 */
function postgresOfPlans(
  cfg: StackConfig,
  all: Record<ServiceName, Service>,
  plans: Plan[],
): PostgresEndpoint {
  const plan = plans.find((p) => p.service.name === 'postgres');
  if (!plan) return resolvePostgres(cfg);
  const managed = plan.mode !== 'external';
  const { host, port } = managed ? all.postgres.endpoint : cfg.postgres;
  return { host, port, user: cfg.postgres.user, database: cfg.postgres.database, managed };
}

/**
 * Brings the selected services up. Idempotent: a service this stack already runs is reused untouched.
 * Checks every port before starting anything, so a conflict leaves nothing half-started. Servers start
 * together, except that one with `startsAfter` waits until that service is up.
 */
export async function up(
  cfg: StackConfig,
  opts: { only?: readonly ServiceName[]; log?: Log } = {},
): Promise<UpResult[]> {
  const log = opts.log ?? (() => undefined);
  const names = opts.only ?? SERVICE_NAMES;
  const all = services(cfg);
  await mkdir(cfg.stateDir, { recursive: true });

  // Decide, for each service, whether to reuse our process, use a server someone else runs, or start one.
  const plans: Plan[] = [];
  for (const name of names) {
    const service = all[name];
    const pid = await ownedPid(service.pidFile, service.marker);
    if (pid !== undefined) {
      plans.push({ service, mode: 'reuse', pid });
    } else if (name === 'postgres') {
      const { host, port, user } = cfg.postgres;
      const answers = await postgresHealth(host, port, user);
      if (!answers && cfg.external) throw notRunning('postgres', host, port);
      plans.push(
        answers ? { service, mode: 'external', endpoint: { host, port } } : { service, mode: 'start' },
      );
    } else if (cfg.external) {
      plans.push({ service, mode: 'external', endpoint: service.endpoint });
    } else {
      plans.push({ service, mode: 'start' });
    }
  }
  for (const plan of plans) {
    if (plan.mode === 'start') await checkPorts(plan.service);
  }
  const context: PrepareContext = { postgres: postgresOfPlans(cfg, all, plans) };

  // Resolve jars and write configuration one service at a time (Maven's progress bars would interleave),
  // then start the servers together.
  const launches = new Map<ServiceName, Launch>();
  for (const plan of plans) {
    if (plan.mode !== 'start') continue;
    await mkdir(plan.service.dir, { recursive: true });
    launches.set(plan.service.name, await plan.service.prepare(context));
  }

  // Each plan is carried out once, on first demand, so that a service can wait for the one it starts after.
  const outcomes = new Map<ServiceName, Promise<UpResult>>();
  const outcome = (plan: Plan): Promise<UpResult> => {
    let pending = outcomes.get(plan.service.name);
    if (!pending) {
      pending = carryOut(plan);
      outcomes.set(plan.service.name, pending);
    }
    return pending;
  };

  /** Resolves once `name`, which `dependent` starts after, is up: by this `up`, or already before it. */
  const ready = async (name: ServiceName, dependent: ServiceName): Promise<void> => {
    const plan = plans.find((p) => p.service.name === name);
    if (plan) {
      await outcome(plan);
      return;
    }
    const first = all[name];
    const { host, port, user } = context.postgres;
    // The postgres service describes the private cluster; the server the stack recorded is checked where it is.
    const check = name === 'postgres' ? () => postgresHealth(host, port, user) : first.health;
    if (!(await waitFor(check, { timeoutMs: first.startTimeoutMs }))) {
      const where = name === 'postgres' ? `${host}:${port}` : `${first.endpoint.host}:${first.endpoint.port}`;
      throw new StartupError(
        `${dependent} starts after ${name}, which does not answer at ${where}; start it too ` +
          `(\`npm run stack:up\`)`,
      );
    }
  };

  async function carryOut(plan: Plan): Promise<UpResult> {
    const { service } = plan;
    if (plan.mode === 'external') {
      const { host, port } = plan.endpoint;
      if (!(await portOpen(host, port))) throw notRunning(service.name, host, port);
      // The postgres service describes the private cluster; an external server is checked where it is.
      const check =
        service.name === 'postgres' ? () => postgresHealth(host, port, cfg.postgres.user) : service.health;
      const healthy = await waitFor(check, { timeoutMs: service.startTimeoutMs });
      if (!healthy) {
        throw new StartupError(`${service.name} at ${host}:${port} accepts connections but is not healthy`);
      }
      const version = service.name === 'kafka' ? '?' : healthy.version;
      return { name: service.name, outcome: 'external', cold: false, seconds: 0, pid: undefined, version };
    }
    if (plan.mode === 'reuse') {
      const healthy = await waitFor(service.health, { timeoutMs: service.startTimeoutMs });
      if (!healthy) {
        throw new StartupError(
          `${service.name} (pid ${plan.pid}) is running but not healthy; see ${service.logFile}`,
        );
      }
      return {
        name: service.name,
        outcome: 'reused',
        cold: false,
        seconds: 0,
        pid: plan.pid,
        version: healthy.version,
      };
    }
    const launch = launches.get(service.name);
    if (!launch) throw new Error(`no launch prepared for ${service.name}`);
    if (service.startsAfter) await ready(service.startsAfter, service.name);
    // Timed from here: the time a service waited for another is that one's start time, not its own.
    const t0 = performance.now();
    await launch.before?.();
    log(`  starting ${service.name}${launch.cold ? ' (first start: creating its state)' : ''}…`);
    const started = await start(service, launch);
    const seconds = (performance.now() - t0) / 1000;
    log(`  ${service.name} healthy in ${seconds.toFixed(1)}s (pid ${started.pid})`);
    return {
      name: service.name,
      outcome: 'started',
      cold: launch.cold,
      seconds,
      pid: started.pid,
      version: started.healthy.version,
    };
  }

  const results = await Promise.all(plans.map(outcome));

  if (names.includes('postgres')) {
    // The database the record names exists before the record does, so its readers can connect at once.
    await ensureDatabase(context.postgres);
    await writeFile(postgresEndpointFile(cfg), `${JSON.stringify(context.postgres, null, 2)}\n`);
  }
  return results;
}

export interface DownResult {
  name: ServiceName;
  outcome: 'stopped' | 'killed' | 'not running';
  seconds: number;
}

/** The Spark services (started only with `--with-spark`) that this stack runs now. */
async function runningSpark(all: Record<ServiceName, Service>): Promise<ServiceName[]> {
  const running = await Promise.all(
    SPARK_SERVICE_NAMES.map(async (name) =>
      (await ownedPid(all[name].pidFile, all[name].marker)) ? name : undefined,
    ),
  );
  return running.filter((name) => name !== undefined);
}

/** Stops the selected services that this stack started, by pid, and waits for them to exit. */
export async function down(
  cfg: StackConfig,
  opts: { only?: readonly ServiceName[] } = {},
): Promise<DownResult[]> {
  const all = services(cfg);
  const names = opts.only ?? [...SERVICE_NAMES, ...(await runningSpark(all))];
  return Promise.all(
    names.map(async (name): Promise<DownResult> => {
      const service = all[name];
      const pid = await ownedPid(service.pidFile, service.marker);
      if (pid === undefined) {
        await rm(service.pidFile, { force: true });
        return { name, outcome: 'not running', seconds: 0 };
      }
      const t0 = performance.now();
      const outcome = await stopPid(pid, service.pidFile, service.stopGraceMs);
      return { name, outcome, seconds: (performance.now() - t0) / 1000 };
    }),
  );
}

export interface StatusRow {
  service: ServiceName;
  pid: number | undefined;
  port: number;
  health: 'healthy' | 'unhealthy' | 'stopped';
  version: string;
  uptimeMs: number | undefined;
  rssBytes: number | undefined;
  managed: boolean;
}

/** Health, version, uptime and resident memory of each service. */
export async function status(cfg: StackConfig): Promise<StatusRow[]> {
  const all = services(cfg);
  return Promise.all(
    [...SERVICE_NAMES, ...(await runningSpark(all))].map(async (name): Promise<StatusRow> => {
      const service = all[name];
      const pid = await ownedPid(service.pidFile, service.marker);
      if (name === 'postgres' && pid === undefined) {
        const recorded = resolvePostgres(cfg);
        const { host, port } = recorded.managed ? cfg.postgres : recorded;
        const healthy = await postgresHealth(host, port, cfg.postgres.user);
        return {
          service: name,
          pid: undefined,
          port,
          health: healthy ? 'healthy' : 'stopped',
          version: healthy?.version ?? '-',
          uptimeMs: undefined,
          rssBytes: undefined,
          managed: false,
        };
      }
      const port = service.endpoint.port;
      if (pid === undefined) {
        // Someone else's server (LOCAL_STACK_EXTERNAL): report its health, not ours.
        const healthy = cfg.external ? await service.health() : undefined;
        return {
          service: name,
          pid,
          port,
          health: healthy ? 'healthy' : 'stopped',
          version: healthy && name !== 'kafka' ? healthy.version : '-',
          uptimeMs: undefined,
          rssBytes: undefined,
          managed: !cfg.external,
        };
      }
      const [healthy, use] = await Promise.all([service.health(), usage(pid)]);
      return {
        service: name,
        pid,
        port,
        health: healthy ? 'healthy' : 'unhealthy',
        version: healthy?.version ?? service.version,
        uptimeMs: use?.uptimeMs,
        rssBytes: use?.rss,
        managed: true,
      };
    }),
  );
}

/**
 * Stops the stack and deletes every server's state (data, logs, generated config, and the Schema Registry's
 * database on the machine's PostgreSQL); keeps the jar cache. With LOCAL_STACK_EXTERNAL no database is dropped:
 * the servers are someone else's.
 *
 * @returns the databases dropped, as `name at host:port`
 */
export async function reset(cfg: StackConfig): Promise<string[]> {
  await down(cfg);
  // Before the registry's folder goes: it holds the record of where that database is.
  const dropped = cfg.external ? undefined : await dropRegistryDatabase(cfg);
  const all = services(cfg);
  for (const name of SERVICE_NAMES) await rm(all[name].dir, { recursive: true, force: true });
  // The Master's and Worker's folders, the job's checkpoints and the SPARK_HOME link.
  await rm(join(cfg.stateDir, 'spark'), { recursive: true, force: true });
  await rm(postgresEndpointFile(cfg), { force: true });
  return dropped === undefined ? [] : [dropped];
}

/** Log files of the services, and their last lines. */
export function logs(cfg: StackConfig, lines: number): { name: ServiceName; file: string; tail: string }[] {
  const all = services(cfg);
  const spark = SPARK_SERVICE_NAMES.filter((name) => existsSync(all[name].logFile));
  return [...SERVICE_NAMES, ...spark].map((name) => ({
    name,
    file: all[name].logFile,
    tail: tailFile(all[name].logFile, lines),
  }));
}
