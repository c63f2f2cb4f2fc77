/**
 * Resolves each server's runtime classpath with Maven from the POMs in infra/local/maven into the gitignored
 * cache `.local/jars/<name>`. A stamp holds the POM's hash, so a warm start runs no Maven at all; a changed
 * POM resolves again. The first download is large, so Maven's transfer lines drive a progress bar. A server
 * published as one archive (the Schema Registry's tar.gz) is unpacked there after the download.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import cliProgress from 'cli-progress';
import { mavenDir } from './config.ts';
import { StackError } from './errors.ts';
import { checkMaven } from './toolchain.ts';

const STAMP = '.resolved';

export interface MavenProgress {
  started: number;
  finished: number;
  bytes: number;
}

const SIZE_UNITS: Record<string, number> = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9 };

/**
 * Folds one line of Maven's batch-mode output into the progress counters. Maven prints
 * `Downloading from central: <url>` when a transfer starts and `Downloaded from central: <url> (12 kB at ...)`
 * when it ends.
 */
export function foldMavenLine(progress: MavenProgress, line: string): MavenProgress {
  if (/^(\[INFO\] )?Downloading from /.test(line)) return { ...progress, started: progress.started + 1 };
  const done = /^(\[INFO\] )?Downloaded from \S+: \S+ \(([\d.]+) (B|kB|KB|MB|GB)/.exec(line);
  if (done?.[2] && done[3]) {
    const bytes = Number(done[2]) * (SIZE_UNITS[done[3]] ?? 1);
    return { ...progress, finished: progress.finished + 1, bytes: progress.bytes + bytes };
  }
  return progress;
}

function pomHash(pom: string): string {
  return createHash('sha256')
    .update(readFileSync(join(mavenDir, pom)))
    .digest('hex');
}

const execFileAsync = promisify(execFile);

/** The archives Maven copies as they are, which {@link ensureJars} unpacks. */
const ARCHIVE = /\.(tar\.gz|tgz)$/;

/**
 * The jars of `name`, resolving them first if the cache is missing or stale. Each tar.gz the POM resolves is
 * unpacked into the cache and removed, so a distribution's own layout (a Quarkus `quarkus-run.jar` beside its
 * `lib/`) is what the cache holds.
 */
export async function ensureJars(jarsRoot: string, name: string, pom: string): Promise<string> {
  const dir = join(jarsRoot, name);
  const hash = pomHash(pom);
  const stamp = join(dir, STAMP);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === hash) return dir;

  await checkMaven();
  const staging = `${dir}.partial`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await runMaven(name, [
    '-B',
    '-f',
    join(mavenDir, pom),
    'dependency:copy-dependencies',
    `-DoutputDirectory=${staging}`,
    '-DincludeScope=runtime',
  ]);
  await unpackArchives(name, staging);
  const count = readdirSync(staging).filter((f) => f.endsWith('.jar')).length;
  if (count === 0) throw new StackError(`Maven resolved no jars for ${name} from ${pom}`);
  await writeFile(join(staging, STAMP), `${hash}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(staging, dir);
  return dir;
}

/** Unpacks every archive Maven copied into `dir` (with the system's tar, which reads pax headers) and removes it. */
async function unpackArchives(name: string, dir: string): Promise<void> {
  for (const archive of readdirSync(dir).filter((f) => ARCHIVE.test(f))) {
    try {
      await execFileAsync('tar', ['-xzf', join(dir, archive), '-C', dir]);
    } catch (cause) {
      throw new StackError(`could not unpack ${archive} for ${name} with tar`, { cause });
    }
    await rm(join(dir, archive));
  }
}

function runMaven(name: string, args: string[]): Promise<void> {
  const bar = new cliProgress.SingleBar(
    {
      format: `  resolving ${name.padEnd(10)} [{bar}] {value}/{total} downloads | {mb} MB`,
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let progress: MavenProgress = { started: 0, finished: 0, bytes: 0 };
  const tail: string[] = [];
  bar.start(1, 0, { mb: '0.0' });
  return new Promise((resolve, reject) => {
    const child = spawn('mvn', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        progress = foldMavenLine(progress, line);
        tail.push(line);
        if (tail.length > 30) tail.shift();
      }
      bar.setTotal(Math.max(1, progress.started));
      bar.update(progress.finished, { mb: (progress.bytes / 1e6).toFixed(1) });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (cause) => {
      bar.stop();
      reject(new StackError(`could not run Maven for ${name}`, { cause }));
    });
    child.on('close', (code) => {
      bar.update(progress.finished, { mb: (progress.bytes / 1e6).toFixed(1) });
      bar.stop();
      if (code === 0) resolve();
      else
        reject(
          new StackError(
            `Maven failed to resolve the ${name} jars (exit ${code}). Its last lines:\n${tail.join('\n')}\n` +
              'Check that Maven Central is reachable (proxy settings live in ~/.m2/settings.xml).',
          ),
        );
    });
  });
}
