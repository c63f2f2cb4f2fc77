/**
 * Finds and checks the external tools the local stack runs on: a JDK (17+, and 11 or 17 for Cassandra 5.0),
 * Maven (to resolve the server jars) and, when no PostgreSQL answers, the PostgreSQL server binaries.
 * Every failure names the minimum version and how to install it.
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

/** Places where JDKs are usually installed, for finding a second one. */
function jdkCandidates(): string[] {
  const roots = ['/usr/lib/jvm', '/Library/Java/JavaVirtualMachines', '/opt/java'];
  const homes: string[] = [];
  for (const root of roots) {
    if (!existsSync(root)) continue;
    for (const entry of readdirSync(root)) {
      for (const home of [join(root, entry), join(root, entry, 'Contents', 'Home')]) {
        if (existsSync(join(home, 'bin', 'java'))) homes.push(home);
      }
    }
  }
  return homes;
}

/**
 * Cassandra 5.0 runs on Java 11 or 17 only. Uses `cassandraJavaHome` when set, the default JDK when it
 * fits, else searches the usual JDK folders for a 17 (then an 11).
 */
export async function findCassandraJava(
  defaultJdk: Jdk,
  cassandraJavaHome: string | undefined,
): Promise<Jdk> {
  const fits = (jdk: Jdk | undefined): boolean => jdk !== undefined && (jdk.major === 17 || jdk.major === 11);
  if (cassandraJavaHome) {
    const jdk = await probeJava(join(cassandraJavaHome, 'bin', 'java'));
    if (jdk && fits(jdk)) return jdk;
    throw new ToolchainError(
      `CASSANDRA_JAVA_HOME=${cassandraJavaHome} is not a Java 11 or 17 JDK (found ${jdk?.version ?? 'no java'}). ` +
        'Cassandra 5.0 runs on Java 11 or 17 only.',
    );
  }
  if (fits(defaultJdk)) return defaultJdk;
  const probed = await Promise.all(jdkCandidates().map((home) => probeJava(join(home, 'bin', 'java'))));
  const found = probed.filter((jdk): jdk is Jdk => jdk !== undefined && fits(jdk));
  const best = found.find((j) => j.major === 17) ?? found[0];
  if (best) return best;
  throw new ToolchainError(
    `Cassandra 5.0 needs Java 11 or 17, but the default Java is ${defaultJdk.version} and no JDK 17 was found ` +
      `under /usr/lib/jvm. ${JAVA_HINT} Then set CASSANDRA_JAVA_HOME to it.`,
  );
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
