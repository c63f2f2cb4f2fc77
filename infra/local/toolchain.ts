/**
 * Finds and checks the external tools the local stack runs on: a JDK (17+; 11 or 17 for Cassandra 5.0 and Spark
 * 3.5, 21+ for the Schema Registry, searched for under the usual JDK folders when the default one does not fit),
 * Maven (to resolve the server jars) and, when no PostgreSQL answers, the PostgreSQL server binaries. Every
 * failure names the versions that fit and how to install one.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ToolchainError } from './errors.ts';

const run = promisify(execFile);

export const MIN_JAVA = 17;
export const MIN_MAVEN = [3, 6, 3] as const;

const JAVA_HINT =
  'Install a JDK 17 (Debian/Ubuntu: `apt-get install openjdk-17-jdk-headless`; macOS: `brew install openjdk@17`) ' +
  'and put it on PATH or set JAVA_HOME.';
const MAVEN_HINT =
  'Install Apache Maven 3.6.3 or newer (Debian/Ubuntu: `apt-get install maven`; macOS: `brew install maven`).';

export interface Jdk {
  java: string;
  major: number;
  version: string;
}

/** Parses the output of `java -version` (printed on stderr), e.g. `openjdk version "17.0.15" 2025-04-15`. */
export function parseJavaVersion(output: string): { major: number; version: string } | undefined {
  const match = /version "([^"]+)"/.exec(output);
  if (!match?.[1]) return undefined;
  const version = match[1];
  const parts = version.split(/[.+-]/);
  // Java 8 and older report "1.8.0_392".
  const major = parts[0] === '1' ? Number(parts[1]) : Number(parts[0]);
  return Number.isFinite(major) ? { major, version } : undefined;
}

/** Parses `mvn -v`, e.g. `Apache Maven 3.8.7`. */
export function parseMavenVersion(output: string): number[] | undefined {
  const match = /Apache Maven (\d+)\.(\d+)\.(\d+)/.exec(output);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

function versionAtLeast(actual: readonly number[], min: readonly number[]): boolean {
  for (let i = 0; i < min.length; i++) {
    const a = actual[i] ?? 0;
    const m = min[i] ?? 0;
    if (a !== m) return a > m;
  }
  return true;
}

export async function probeJava(java: string): Promise<Jdk | undefined> {
  try {
    const { stderr, stdout } = await run(java, ['-version']);
    const parsed = parseJavaVersion(`${stderr}\n${stdout}`);
    return parsed ? { java, ...parsed } : undefined;
  } catch {
    return undefined;
  }
}

/** The JDK that runs Kafka and the tools: `$JAVA_HOME/bin/java`, else `java` on PATH; 17 or newer. */
export async function findJava(javaHome: string | undefined): Promise<Jdk> {
  const java = javaHome ? join(javaHome, 'bin', 'java') : 'java';
  const jdk = await probeJava(java);
  if (!jdk) throw new ToolchainError(`Java was not found (tried \`${java} -version\`). ${JAVA_HINT}`);
  if (jdk.major < MIN_JAVA) {
    throw new ToolchainError(
      `Java ${MIN_JAVA} or newer is required, found ${jdk.version} at ${java}. ${JAVA_HINT}`,
    );
  }
  return jdk;
}

/** Where JDKs are usually installed (Debian's and Temurin's packages, macOS, hand-unpacked), searched in order. */
export const JDK_ROOTS = ['/usr/lib/jvm', '/Library/Java/JavaVirtualMachines', '/opt/java'] as const;

/** The JDK homes under `roots`: each folder (or macOS bundle's `Contents/Home`) holding a `bin/java`. */
export function jdkCandidates(roots: readonly string[] = JDK_ROOTS): string[] {
  const homes: string[] = [];
  for (const root of roots) {
    if (!existsSync(root)) continue;
    for (const entry of readdirSync(root).sort()) {
      for (const home of [join(root, entry), join(root, entry, 'Contents', 'Home')]) {
        if (existsSync(join(home, 'bin', 'java'))) homes.push(home);
      }
    }
  }
  return homes;
}

/**
 * A JDK that one server needs beside the default one, because it runs on other Java versions than Kafka and
 * the tools: which majors fit, the setting that names one, and how to install one.
 */
export interface JdkNeed {
  /** The server, as the error names it: `Cassandra 5.0`. */
  server: string;
  /** The setting that points at such a JDK's home: `CASSANDRA_JAVA_HOME`. */
  setting: string;
  /** The majors that fit, in words: `11 or 17`, `21 or newer`. */
  majors: string;
  fits(major: number): boolean;
  /** How to install one. */
  install: string;
}

/** Cassandra 5.0 runs on Java 11 or 17 only. */
export const CASSANDRA_JDK: JdkNeed = {
  server: 'Cassandra 5.0',
  setting: 'CASSANDRA_JAVA_HOME',
  majors: '11 or 17',
  fits: (major) => major === 11 || major === 17,
  install: JAVA_HINT,
};

/** Spark 3.5 runs on Java 8, 11 or 17, not 21+; the stack uses 11 or 17, as for Cassandra. */
export const SPARK_JDK: JdkNeed = {
  server: 'Spark 3.5',
  setting: 'SPARK_JAVA_HOME',
  majors: '11 or 17',
  fits: (major) => major === 11 || major === 17,
  install: JAVA_HINT,
};

/** Apicurio Registry 3 is built for Java 21 (class version 65): on 17 it stops with UnsupportedClassVersionError. */
export const REGISTRY_JDK: JdkNeed = {
  server: 'Apicurio Registry 3 (the Schema Registry)',
  setting: 'REGISTRY_JAVA_HOME',
  majors: '21 or newer',
  fits: (major) => major >= 21,
  install:
    'Install a JDK 21 or newer (Debian 13 or Ubuntu 24.04: `apt-get install openjdk-21-jdk-headless`; Debian 12: ' +
    "Eclipse Temurin 21 or 25 from Adoptium's apt repository, https://adoptium.net/installation/linux/; macOS: " +
    '`brew install openjdk@21`).',
};

/** The newest of the JDKs found that fits `need`, or undefined when none does. */
export function chooseJdk(found: readonly (Jdk | undefined)[], need: Pick<JdkNeed, 'fits'>): Jdk | undefined {
  return found
    .filter((jdk): jdk is Jdk => jdk !== undefined && need.fits(jdk.major))
    .reduce<Jdk | undefined>(
      (best, jdk) => (best === undefined || jdk.major > best.major ? jdk : best),
      undefined,
    );
}

/**
 * The JDK for a server with its own Java needs: the one its setting names (which must fit), else the default
 * JDK when it fits, else the newest that fits among the JDKs under `roots`.
 *
 * @throws ToolchainError naming the setting, the majors that fit and how to install one
 */
export async function findJdkFor(
  need: JdkNeed,
  defaultJdk: Jdk,
  home: string | undefined,
  roots: readonly string[] = JDK_ROOTS,
): Promise<Jdk> {
  if (home) {
    const jdk = await probeJava(join(home, 'bin', 'java'));
    if (jdk && need.fits(jdk.major)) return jdk;
    throw new ToolchainError(
      `${need.setting}=${home} is not a Java ${need.majors} JDK (found ${jdk?.version ?? 'no java'}); ` +
        `${need.server} runs on Java ${need.majors}.`,
    );
  }
  if (need.fits(defaultJdk.major)) return defaultJdk;
  const best = chooseJdk(
    await Promise.all(jdkCandidates(roots).map((h) => probeJava(join(h, 'bin', 'java')))),
    need,
  );
  if (best) return best;
  throw new ToolchainError(
    `${need.server} needs Java ${need.majors}, but the default Java is ${defaultJdk.version} and no such JDK ` +
      `was found under ${roots.join(', ')}. ${need.install} Then set ${need.setting} to its home, or leave ` +
      `${need.setting} unset if it went under ${roots[0]}.`,
  );
}

/** Cassandra 5.0's JDK: CASSANDRA_JAVA_HOME, else the default JDK when it is 11 or 17, else one found. */
export function findCassandraJava(defaultJdk: Jdk, cassandraJavaHome: string | undefined): Promise<Jdk> {
  return findJdkFor(CASSANDRA_JDK, defaultJdk, cassandraJavaHome);
}

/** Checks that Maven is installed and recent enough; returns its version string. */
export async function checkMaven(): Promise<string> {
  let output: string;
  try {
    const { stdout } = await run('mvn', ['-v'], { env: { ...process.env, MAVEN_OPTS: '' } });
    output = stdout;
  } catch (cause) {
    throw new ToolchainError(`Maven was not found (\`mvn -v\` failed). ${MAVEN_HINT}`, { cause });
  }
  const version = parseMavenVersion(output);
  if (!version) throw new ToolchainError(`could not read Maven's version from \`mvn -v\`. ${MAVEN_HINT}`);
  if (!versionAtLeast(version, MIN_MAVEN)) {
    throw new ToolchainError(
      `Maven ${MIN_MAVEN.join('.')} or newer is required, found ${version.join('.')}. ${MAVEN_HINT}`,
    );
  }
  return version.join('.');
}

/** The folder holding `initdb` and `postgres`: `pg_config --bindir`, else the newest /usr/lib/postgresql/N/bin. */
export async function findPostgresBin(): Promise<string> {
  try {
    const { stdout } = await run('pg_config', ['--bindir']);
    const dir = stdout.trim();
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
  } catch {
    // Fall through to the Debian layout.
  }
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  throw new ToolchainError(
    'No PostgreSQL answers at PGHOST:PGPORT and no PostgreSQL server binaries (initdb, postgres) were found to start ' +
      'a private one. Install PostgreSQL 14+ (Debian/Ubuntu: `apt-get install postgresql`; macOS: `brew install ' +
      'postgresql@16`), or point PGHOST/PGPORT at a running server.',
  );
}
