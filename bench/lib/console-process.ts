/**
 * The console as the console phase runs it: `npm run console` (infra/console/cli.ts) in a process of its own,
 * so that the process sampler can tell its CPU from everyone else's, on a phase's names and a free port; and
 * a viewer that does what an open page and a Prometheus do to it: reads the `/api/live` stream (a snapshot a
 * second) and scrapes `/metrics` every 5 s, as the console README's scrape config does.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { StackConfig } from '../../infra/local/config.ts';
import { functionEnv } from '../../infra/local/function-env.ts';
import { waitFor } from '../../infra/local/proc.ts';
import { errorText } from '../../lib/errors.ts';
import { listen } from '../../lib/http-server.ts';
import { repoRoot } from '../../lib/paths.ts';
import { ConsolePhaseError } from './errors.ts';
import type { RunNames } from './pipeline.ts';
import { SseEventCounter } from './sse.ts';

export const consoleProcessDefaults = {
  /** Starting includes tsx compiling the console and esbuild bundling its page. */
  startTimeoutMs: 120_000,
  /** SIGTERM, then SIGKILL after this long. */
  stopGraceMs: 15_000,
  /** The `scrape_interval` of the console README's Prometheus config. */
  scrapeIntervalMs: 5_000,
  /** The first `/api/live` snapshot comes within a reading (a second) of connecting; this allows for a slow one. */
  firstSnapshotTimeoutMs: 30_000,
};

/** A port on 127.0.0.1 that nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = await listen(createServer(), '127.0.0.1', 0);
  await server.close();
  return Number(new URL(server.endpoint).port);
}

/** A running `npm run console`. */
export interface ConsoleProcess {
  pid: number;
  /** `http://127.0.0.1:PORT`: where the viewer reads. */
  baseUrl: string;
  /** The page's URL as the console printed it (with its token), or the base URL when it printed none. */
  pageUrl: string;
  /** The exit code or signal once it has exited; undefined while it runs. */
  exitCode(): number | string | undefined;
  /** Its last output lines, for errors. */
  tail(): string;
  /** SIGTERM (the console closes its clients and exits), SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

// `[console] open http://127.0.0.1:3300/#token=...` (infra/console/cli.ts).
const openLine = /\[console\] open (\S+)/;

/**
 * Starts `npm run console` on `names` and `port`, and waits until it serves its page.
 *
 * Its settings are the functions' environment of the run (infra/local/function-env.ts), which carries the
 * names the console reads (KAFKA_TOPIC, KAFKA_DLQ_TOPIC, CASSANDRA_KEYSPACE, PIPELINE_PGDATABASE) the way
 * `sls offline start` gets them, plus CONSOLE_PORT. It runs as `node --import tsx`, the command tsx's own CLI
 * would start as a child: one process, so the pid sampled is the console's.
 *
 * @throws {@link ConsolePhaseError} `CONSOLE_START` when it exits or does not serve its page in time
 */
export async function startConsoleProcess(
  cfg: StackConfig,
  names: RunNames,
  port: number,
  timeoutMs = consoleProcessDefaults.startTimeoutMs,
): Promise<ConsoleProcess> {
  // BENCH_CONSOLE_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, profiles the console (Node refuses
  // --cpu-prof in NODE_OPTIONS); it writes the profile when it exits on the phase's SIGTERM.
  const nodeArgs = (process.env.BENCH_CONSOLE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const cli = join(repoRoot, 'infra', 'console', 'cli.ts');
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', cli], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...functionEnv(cfg, names),
      CONSOLE_PORT: String(port),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  const pid = child.pid;
  if (pid === undefined)
    throw new ConsolePhaseError('npm run console did not start', { code: 'CONSOLE_START' });
  const lines: string[] = [];
  let printedUrl: string | undefined;
  const onLine = (line: string) => {
    lines.push(line);
    if (lines.length > 50) lines.shift();
    printedUrl ??= openLine.exec(line)?.[1];
  };
  if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
  if (child.stderr) createInterface({ input: child.stderr }).on('line', onLine);
  let exit: number | string | undefined;
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      exit = code ?? signal ?? 'unknown';
      resolve();
    }),
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  const tail = () => lines.slice(-20).join('\n');
  const handle: ConsoleProcess = {
    pid,
    baseUrl,
    get pageUrl() {
      return printedUrl ?? `${baseUrl}/`;
    },
    exitCode: () => exit,
    tail,
    async stop(graceMs = consoleProcessDefaults.stopGraceMs) {
      if (exit !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  const ready = await waitFor(
    async () => {
      if (exit !== undefined) return 'exited';
      try {
        const res = await fetch(`${baseUrl}/`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        return res.ok ? 'ready' : undefined;
      } catch {
        return undefined;
      }
    },
    { timeoutMs, intervalMs: 250 },
  );
  if (ready !== 'ready') {
    await handle.stop(2000);
    throw new ConsolePhaseError(
      `npm run console ${ready === 'exited' ? `exited (${exit})` : `did not serve its page within ${timeoutMs / 1000} s`}:\n${tail()}`,
      { code: 'CONSOLE_START' },
    );
  }
  return handle;
}

/** What a viewer did while it ran. */
export interface ViewerCounts {
  /** `/api/live` snapshots read. */
  snapshots: number;
  /** `/metrics` scrapes answered. */
  scrapes: number;
}

/** A page and a Prometheus on the console. */
export interface Viewer {
  /** Resolves once the first snapshot has arrived. */
  firstSnapshot: Promise<void>;
  /**
   * Closes the stream and stops scraping.
   *
   * @throws {@link ConsolePhaseError} `CONSOLE_VIEWER` when the stream or a scrape failed while it ran
   */
  stop(): Promise<ViewerCounts>;
}

/**
 * Opens `/api/live` as the page does (a fetch whose body is read and dropped as it comes, which costs the
 * console what an EventSource would) and scrapes `/metrics` now and every `scrapeIntervalMs`.
 */
export function startViewer(
  baseUrl: string,
  opts: { scrapeIntervalMs?: number; firstSnapshotTimeoutMs?: number } = {},
): Viewer {
  const abort = new AbortController();
  const counter = new SseEventCounter('snapshot');
  let scrapes = 0;
  let failure: unknown;
  const fail = (error: unknown) => {
    if (!abort.signal.aborted) failure ??= error;
  };
  let arrived: () => void = () => {};
  let refused: (error: unknown) => void = () => {};
  const first = new Promise<void>((resolve, reject) => {
    arrived = resolve;
    refused = reject;
  });
  const firstTimeoutMs = opts.firstSnapshotTimeoutMs ?? consoleProcessDefaults.firstSnapshotTimeoutMs;
  const firstTimer = setTimeout(
    () => refused(new Error(`no /api/live snapshot within ${firstTimeoutMs / 1000} s`)),
    firstTimeoutMs,
  );
  const firstSnapshot = first.finally(() => clearTimeout(firstTimer));
  // Awaited by the caller, or not: a failure is also reported by stop().
  firstSnapshot.catch(() => undefined);

  const streamed = (async () => {
    try {
      const res = await fetch(`${baseUrl}/api/live`, {
        signal: abort.signal,
        headers: { accept: 'text/event-stream' },
      });
      if (!res.ok || res.body === null) throw new Error(`GET /api/live answered ${res.status}`);
      const decoder = new TextDecoder();
      const reader = res.body.getReader();
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        if (counter.feed(decoder.decode(read.value, { stream: true })) > 0) arrived();
      }
      throw new Error('the console ended the /api/live stream');
    } catch (error) {
      fail(error);
      refused(error);
    }
  })();

  const scrape = async () => {
    try {
      const res = await fetch(`${baseUrl}/metrics`, { signal: abort.signal });
      await res.text();
      if (!res.ok) throw new Error(`GET /metrics answered ${res.status}`);
      scrapes++;
    } catch (error) {
      fail(error);
    }
  };
  void scrape();
  const scraper = setInterval(
    () => void scrape(),
    opts.scrapeIntervalMs ?? consoleProcessDefaults.scrapeIntervalMs,
  );

  return {
    firstSnapshot,
    async stop() {
      clearInterval(scraper);
      clearTimeout(firstTimer);
      const failed = failure;
      abort.abort();
      await streamed;
      if (failed !== undefined) {
        throw new ConsolePhaseError(`the console's viewer failed: ${errorText(failed)}`, {
          code: 'CONSOLE_VIEWER',
          cause: failed,
        });
      }
      return { snapshots: counter.count, scrapes };
    },
  };
}
