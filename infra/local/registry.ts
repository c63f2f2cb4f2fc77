/**
 * The stack's Schema Registry: Apicurio Registry 3, a Quarkus application. Maven resolves its own distribution
 * (infra/local/maven/registry.pom.xml, a tar.gz unpacked into `.local/jars/registry`), and it runs as
 * `java -jar quarkus-run.jar` on a JDK 21 or newer, found as Cassandra's JDK 17 is (REGISTRY_JAVA_HOME, else
 * the default JDK, else the newest under /usr/lib/jvm). Its schemas live in a database of its own on the stack's
 * PostgreSQL, created before it starts, so the ids it hands out survive a restart; it records where that
 * database is, for `stack:reset` to drop it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { registryJvmOptions, registryProperties, type StackConfig, serviceMarker } from './config.ts';
import { dropDatabase, ensureDatabase } from './database.ts';
import { type PostgresEndpoint, readEndpointFile } from './endpoints.ts';
import { registryHealth } from './health.ts';
import { ensureJars } from './jars.ts';
import type { Service } from './services.ts';
import { findJava, findJdkFor, REGISTRY_JDK } from './toolchain.ts';

/** The registry's own folder under the state directory: its log, pid file and database record. */
export function registryDir(cfg: Pick<StackConfig, 'stateDir'>): string {
  return join(cfg.stateDir, 'registry');
}

/** The record of where the registry's database is, written when the stack creates it. */
function databaseRecord(cfg: Pick<StackConfig, 'stateDir'>): string {
  return join(registryDir(cfg), 'database.json');
}

/** True when a record names the database `database` names: the same server and database. */
function sameDatabase(recorded: PostgresEndpoint | undefined, database: PostgresEndpoint): boolean {
  return (
    recorded?.host === database.host &&
    recorded.port === database.port &&
    recorded.database === database.database
  );
}

/**
 * The registry's JVM arguments (everything after the `java` executable): its JVM options, the stack's marker,
 * its properties as `-D` options, and the distribution's runner jar.
 */
export function registryArgs(
  cfg: Pick<StackConfig, 'registry'>,
  properties: Record<string, string>,
  distribution: string,
  marker: string,
): string[] {
  return [
    ...registryJvmOptions(cfg),
    '-Djava.awt.headless=true',
    marker,
    ...Object.entries(properties).map(([key, value]) => `-D${key}=${value}`),
    '-jar',
    join(distribution, 'quarkus-run.jar'),
  ];
}

/** The Schema Registry as a service of the local stack. */
export function registryService(cfg: StackConfig): Service {
  const dir = registryDir(cfg);
  const marker = serviceMarker('registry', dir);
  const { host, port, managementPort, version } = cfg.registry;
  return {
    name: 'registry',
    dir,
    // Its data is in PostgreSQL; the folder holds only what the stack writes about it.
    dataDir: dir,
    pidFile: join(dir, 'registry.pid'),
    logFile: join(dir, 'registry.log'),
    marker,
    ports: [
      { port, what: 'HTTP' },
      { port: managementPort, what: 'management' },
    ],
    endpoint: { host, port },
    startTimeoutMs: 120_000,
    stopGraceMs: 30_000,
    corruptPatterns: [],
    version,
    startsAfter: 'postgres',
    async prepare({ postgres }) {
      const jdk = await findJdkFor(REGISTRY_JDK, await findJava(cfg.javaHome), cfg.registry.javaHome);
      const distribution = await ensureJars(cfg.jarsDir, 'registry', 'registry.pom.xml');
      await mkdir(dir, { recursive: true });
      const database: PostgresEndpoint = { ...postgres, database: cfg.registry.database };
      const args = registryArgs(cfg, registryProperties(cfg, postgres), distribution, marker);
      return {
        command: jdk.java,
        args,
        // Kept off the command line, which every local user can read; the local stack's server trusts anyway.
        ...(postgres.password === undefined
          ? {}
          : { env: { ...process.env, APICURIO_DATASOURCE_PASSWORD: postgres.password } }),
        cold: !sameDatabase(readEndpointFile(databaseRecord(cfg)), database),
        async before() {
          await ensureDatabase(database);
          await writeFile(databaseRecord(cfg), `${JSON.stringify(database, null, 2)}\n`);
        },
      };
    },
    health: () => registryHealth(host, port),
  };
}

/**
 * Drops the registry's database, when this state directory's registry created one on a server the stack does
 * not manage (a private cluster's data goes with its folder). Run by `stack:reset` after the registry stopped.
 *
 * @returns the database dropped, as `name at host:port`, or undefined when there was none to drop
 */
export async function dropRegistryDatabase(cfg: Pick<StackConfig, 'stateDir'>): Promise<string | undefined> {
  const recorded = readEndpointFile(databaseRecord(cfg));
  if (!recorded || recorded.managed) return undefined;
  const dropped = await dropDatabase(recorded);
  return dropped ? `${recorded.database} at ${recorded.host}:${recorded.port}` : undefined;
}
