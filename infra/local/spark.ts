/**
 * Spark for the local stack: the runtime jars (resolved by Maven from the job's own POM, infra/spark/pom.xml,
 * into `.local/jars/spark`), the JDK 17 flags every Spark JVM needs, and the standalone Master and Worker that
 * `stack:up --with-spark` runs from those same jars. A Worker builds its executors' classpath from
 * `$SPARK_HOME/jars`, so the stack gives it a SPARK_HOME whose `jars` folder is that jar cache.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, symlink } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { pomProperty, type StackConfig, serviceMarker } from './config.ts';
import type { Healthy } from './health.ts';
import { ensureJars } from './jars.ts';
import type { Service } from './services.ts';
import { findJava, findJdkFor, type Jdk, SPARK_JDK } from './toolchain.ts';

export type SparkServiceName = 'spark-master' | 'spark-worker';
export const SPARK_SERVICE_NAMES: readonly SparkServiceName[] = ['spark-master', 'spark-worker'];

/** The job's POM, relative to infra/local/maven (where `ensureJars` and `pomProperty` look). */
export const SPARK_POM = '../../spark/pom.xml';

/** The Spark version the job and the stack run: the job POM's `spark.version`. */
export function sparkVersion(): string {
  return pomProperty(SPARK_POM, 'spark.version');
}

/**
 * What Spark 3.5 needs on Java 17, on every JVM (driver, Master, Worker): the `--add-opens` of its launcher's
 * JavaModuleOptions. Spark adds them to the executors it launches by itself.
 */
export const SPARK_JDK17_OPTIONS = [
  '-XX:+IgnoreUnrecognizedVMOptions',
  ...[
    'java.lang',
    'java.lang.invoke',
    'java.lang.reflect',
    'java.io',
    'java.net',
    'java.nio',
    'java.util',
    'java.util.concurrent',
    'java.util.concurrent.atomic',
    'jdk.internal.ref',
    'sun.nio.ch',
    'sun.nio.cs',
    'sun.security.action',
    'sun.util.calendar',
  ].map((pkg) => `--add-opens=java.base/${pkg}=ALL-UNNAMED`),
  '--add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED',
  '-Djdk.reflect.useDirectMethodHandle=false',
  '-Dio.netty.tryReflectionSetAccessible=true',
];

/** Resolves (once per POM change) the jars of Spark, the Kafka source and the Cassandra connector. */
export function ensureSparkJars(cfg: StackConfig): Promise<string> {
  return ensureJars(cfg.jarsDir, 'spark', SPARK_POM);
}

/**
 * A JDK for Spark 3.5, which supports Java 8, 11 and 17 (not 21+): SPARK_JAVA_HOME when set, else the default
 * JDK when it is 11 or 17, else one found under the usual JDK folders.
 */
export async function findSparkJava(cfg: StackConfig): Promise<Jdk> {
  return findJdkFor(SPARK_JDK, await findJava(cfg.javaHome), cfg.spark.javaHome);
}

/** The environment a Spark JVM of the stack runs with: its JDK as JAVA_HOME, so executors use the same one. */
export function sparkEnv(jdk: Jdk, sparkHome: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SPARK_HOME: sparkHome,
    SPARK_SCALA_VERSION: '2.13',
    SPARK_LOCAL_IP: '127.0.0.1',
    ...extra,
  };
  if (isAbsolute(jdk.java)) env.JAVA_HOME = dirname(dirname(jdk.java));
  // Else `java` came from PATH: without JAVA_HOME the Worker launches executors with its own java.home.
  else delete env.JAVA_HOME;
  return env;
}

/** `.local/spark/home`: a SPARK_HOME whose `jars` is the resolved jar cache. */
export async function prepareSparkHome(cfg: StackConfig, jars: string): Promise<string> {
  const home = join(cfg.stateDir, 'spark', 'home');
  await mkdir(home, { recursive: true });
  const link = join(home, 'jars');
  await rm(link, { recursive: true, force: true });
  await symlink(jars, link, 'dir');
  return home;
}

/** The Master's REST view (`/json/`) of itself and its workers; undefined when it does not answer. */
export async function masterState(
  cfg: StackConfig,
): Promise<{ status: string; workers: { webuiaddress: string; state: string }[] } | undefined> {
  try {
    const response = await fetch(`http://${cfg.spark.host}:${cfg.spark.masterUiPort}/json/`, {
      signal: AbortSignal.timeout(2000),
    });
    if (!response.ok) return undefined;
    const body: unknown = await response.json();
    if (typeof body !== 'object' || body === null) return undefined;
    const status = 'status' in body && typeof body.status === 'string' ? body.status : '';
    const workers =
      'workers' in body && Array.isArray(body.workers)
        ? body.workers.flatMap((w: unknown) =>
            typeof w === 'object' && w !== null && 'webuiaddress' in w && 'state' in w
              ? [{ webuiaddress: String(w.webuiaddress), state: String(w.state) }]
              : [],
          )
        : [];
    return { status, workers };
  } catch {
    return undefined;
  }
}

function sparkService(
  cfg: StackConfig,
  name: SparkServiceName,
  ports: { port: number; what: string }[],
  mainClass: string,
  mainArgs: (home: string) => string[],
  health: () => Promise<Healthy | undefined>,
): Service {
  const dir = join(cfg.stateDir, 'spark', name);
  const marker = serviceMarker(name, dir);
  const version = sparkVersion();
  return {
    name,
    dir,
    dataDir: dir,
    pidFile: join(dir, `${name}.pid`),
    logFile: join(dir, `${name}.log`),
    marker,
    ports,
    endpoint: { host: cfg.spark.host, port: cfg.spark.masterPort },
    startTimeoutMs: 90_000,
    stopGraceMs: 20_000,
    corruptPatterns: [],
    version,
    async prepare() {
      const jdk = await findSparkJava(cfg);
      const jars = await ensureSparkJars(cfg);
      const home = await prepareSparkHome(cfg, jars);
      await mkdir(dir, { recursive: true });
      const args = [
        '-Xmx256m',
        ...SPARK_JDK17_OPTIONS,
        marker,
        '-cp',
        `${jars}/*`,
        mainClass,
        ...mainArgs(home),
      ];
      return {
        command: jdk.java,
        args,
        env: sparkEnv(jdk, home, { SPARK_LOCAL_DIRS: join(dir, 'tmp') }),
        cold: !existsSync(join(dir, `${name}.log`)),
      };
    },
    health,
  };
}

/** The standalone Master and Worker, as services of the local stack. */
export function sparkServices(cfg: StackConfig): Record<SparkServiceName, Service> {
  const { host, masterPort, masterUiPort, workerUiPort } = cfg.spark;
  const version = sparkVersion();
  const master = sparkService(
    cfg,
    'spark-master',
    [
      { port: masterPort, what: 'master' },
      { port: masterUiPort, what: 'master UI' },
    ],
    'org.apache.spark.deploy.master.Master',
    () => ['--host', host, '--port', String(masterPort), '--webui-port', String(masterUiPort)],
    async () => {
      const state = await masterState(cfg);
      return state?.status === 'ALIVE' ? { version, detail: `${state.workers.length} worker(s)` } : undefined;
    },
  );
  const workerDir = join(cfg.stateDir, 'spark', 'spark-worker');
  const worker = sparkService(
    cfg,
    'spark-worker',
    [{ port: workerUiPort, what: 'worker UI' }],
    'org.apache.spark.deploy.worker.Worker',
    () => [
      '--host',
      host,
      '--webui-port',
      String(workerUiPort),
      '--cores',
      String(cfg.spark.workerCores),
      '--memory',
      cfg.spark.workerMemory,
      '--work-dir',
      join(workerDir, 'work'),
      `spark://${host}:${masterPort}`,
    ],
    // Healthy once the Master lists it as ALIVE: only then can it take executors.
    async () => {
      const state = await masterState(cfg);
      const alive = state?.workers.some(
        (w) => w.state === 'ALIVE' && w.webuiaddress.endsWith(`:${workerUiPort}`),
      );
      return alive ? { version } : undefined;
    },
  );
  return { 'spark-master': master, 'spark-worker': { ...worker, startsAfter: 'spark-master' } };
}
