/**
 * The benchmark's smoke test, as CI runs it: `npm run bench -- --quick` on the real stack, then the report
 * checker. It asserts that the run completed and wrote a complete, well-formed report, and that what it
 * measured adds up (every seeded user reached Cassandra, every latency sample is a committed user, the console
 * phase ran its pair of rounds). It never asserts how fast anything was.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOutputs, readOutputs } from '../../bench/check.ts';
import { historyEntrySchema, resultsSchema } from '../../bench/lib/results.ts';
import { parseConfig } from '../../functions/lib/settings.ts';
import { repoRoot } from '../../lib/paths.ts';

let out: string | undefined;

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

/** The test's own limit for the run, under its Vitest timeout, so a run that hangs is stopped and shown. */
const benchDeadlineMs = 600_000;

/**
 * Runs the benchmark and collects its output. Past {@link benchDeadlineMs} it stops the run as Ctrl-C would
 * (SIGINT: the bench then kills its serverless-offline, console and Spark driver), SIGKILL 10 s later, and
 * resolves with `timedOut`, so the failure shows where the run was. A Vitest timeout would fail the test
 * without the output and leave the processes running.
 */
function runBench(args: string[]): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], {
      cwd: repoRoot,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, benchDeadlineMs);
    child.on('exit', (code) => {
      clearTimeout(deadline);
      resolve({ code, output, timedOut });
    });
  });
}

describe('npm run bench -- --quick', () => {
  // The Spark peer adds about a minute to the quick run; on a fresh clone its first build (mvn package and Spark's
  // runtime jars, which the bench does not time) about two more.
  it('writes a complete report whose counts add up', { timeout: benchDeadlineMs + 60_000 }, async () => {
    out = await mkdtemp(join(tmpdir(), 'bench-smoke-'));
    const run = await runBench(['--quick', '--out', out, '--label', 'smoke test']);
    const stopped = run.timedOut ? `stopped after ${benchDeadlineMs / 1000} s without ending; ` : '';
    expect(run.code, `${stopped}the run's last output:\n${run.output.slice(-3000)}`).toBe(0);

    const { files, problems } = await readOutputs(out);
    expect(problems).toEqual([]);
    if (!files) throw new Error('no report files');
    expect(checkOutputs(files)).toEqual([]);

    const results = resultsSchema.parse(JSON.parse(files.json));
    expect(results.mode).toBe('quick');
    // The raw Cassandra loop runs a second time in the sink's own unlogged batches, when it writes batches.
    const sinkBatch = parseConfig({ CASSANDRA_BATCH_SIZE: process.env.CASSANDRA_BATCH_SIZE }).sink.batchSize;
    const batched = sinkBatch > 1 ? ['cassandra-batch'] : [];
    expect(results.baselines.map((b) => b.id).sort()).toEqual(
      [
        'cassandra-insert',
        ...batched,
        'http-fetch',
        'kafka-consumer',
        'kafka-producer',
        'postgres-bulk',
      ].sort(),
    );
    const sink = results.stages.find((s) => s.id === 'sink');
    expect(sink?.baseline).toBe('cassandra-insert');
    if (sinkBatch > 1) {
      expect(sink?.batchRatio).toMatchObject({ baseline: 'cassandra-batch', batchSize: sinkBatch });
      expect(sink?.batchRatio?.ratio).toBeGreaterThan(0);
    } else expect(sink?.batchRatio).toBeUndefined();
    expect(results.stages.map((s) => s.id)).toEqual(['fetch', 'store', 'relay', 'sink']);
    // The stages ran on the same 3000 users: all stored, all relayed, all in Cassandra.
    for (const id of ['store', 'relay', 'sink'])
      expect(results.stages.find((s) => s.id === id)?.users).toBe(3000);
    for (const stage of results.stages) expect(stage.ratio).toBeGreaterThan(0);

    // The Spark peer read as many records as the sink, in several micro-batches, and wrote a row for each.
    const peer = results.sparkPeer;
    expect(peer?.records).toBe(3000);
    expect(peer?.rowsWritten).toBe(3000);
    expect(peer?.batches).toBeGreaterThan(1);
    expect(peer?.steadyPerSecond).toBeGreaterThan(0);
    expect(peer?.sinkRatio).toBeGreaterThan(0);
    expect(results.targets.map((t) => t.id)).toContain('sink-vs-spark');

    const [profile] = results.endToEnd;
    expect(profile?.id).toBe('low-latency');
    expect(profile?.latency.map((l) => l.loadFraction)).toEqual([0.5, 0.8]);
    // Every committed user of a latency run has a Cassandra row (the run fails otherwise), so count is what
    // the open-loop generator committed: about offered × seconds.
    for (const l of profile?.latency ?? []) {
      expect(l.count).toBeGreaterThan(0);
      expect(l.p50).toBeLessThanOrEqual(l.p99);
      // The hop split reads back exactly the records this run's relay sent: one per committed user.
      expect(l.hops?.users).toBe(l.count);
      expect(l.hops?.toKafka.p50).toBeLessThanOrEqual(l.p99);
      expect(l.hops?.toRow.p50).toBeLessThanOrEqual(l.p99);
    }
    expect(files.md).toContain("Split at each record's Kafka timestamp");
    expect(results.scaling).toHaveLength(1);
    expect(results.scaling[0]?.users).toBe(3000);
    // The console phase: one pair of rounds, every user of each written, the console's CPU taken in the on
    // round; the first paint is measured where chromium is installed, and says why not elsewhere.
    const phase = results.console;
    expect(phase?.rounds.map((r) => r.console)).toEqual(['off', 'on']);
    for (const round of phase?.rounds ?? []) expect(round.users).toBe(3000);
    expect(phase?.rounds[1]?.snapshots).toBeGreaterThan(0);
    expect(phase?.pairRatios).toHaveLength(1);
    const painted = phase?.firstPaint.firstContentfulPaintMs != null;
    if (!painted) expect(phase?.firstPaint.reason).toBeTruthy();
    expect(results.targets.map((t) => t.id)).toEqual(
      expect.arrayContaining([
        'sink-vs-cassandra',
        'e2e-vs-serial-limit',
        'low-latency-p50',
        'low-latency-p99',
        'console-cost',
        ...(painted ? ['console-first-paint'] : []),
      ]),
    );
    // The serial limit adds up the run's four raw baselines; end to end is the low-latency profile's share of it.
    expect(results.serialLimit?.perSecond).toBeGreaterThan(0);
    expect(results.serialLimit?.endToEnd?.profile).toBe('low-latency');
    expect(results.serialLimit?.endToEnd?.fraction).toBeGreaterThan(0);
    // CPU per 1000 users for the sink stage and the profile, broken down by process. (The quick sink stage's
    // 3000 users may be mostly consumed before its span starts, once sls offline is up: only its presence is.)
    expect(results.stages.find((s) => s.id === 'sink')?.cpu).toBeDefined();
    expect(profile?.cpu?.users).toBeGreaterThan(0);
    expect(profile?.cpu?.processes.map((p) => p.name)).toEqual(
      expect.arrayContaining(['cassandra', expect.stringMatching(/^sls offline/)]),
    );
    expect(results.processes.map((p) => p.name)).toEqual(
      expect.arrayContaining([
        'kafka',
        'cassandra',
        expect.stringMatching(/^sls offline/),
        expect.stringMatching(/^npm run console/),
        expect.stringMatching(/^spark job/),
      ]),
    );
    // The machine's speed is read only when it is quiet, so a busy smoke run may hold no reading; those it
    // holds name where in the run they were taken, and the report states them.
    const readings = results.machineSpeed ?? [];
    for (const reading of readings) {
      expect(reading.probeMs).toBeGreaterThan(0);
      expect(reading.phase).not.toBe('');
    }
    expect(files.md.includes('Machine speed: the probe took')).toBe(readings.length > 0);
    expect(files.md.includes('for the machine to run at its speed again')).toBe(
      readings.some((r) => r.waitedSeconds !== undefined),
    );

    const history = (await readFile(join(out, 'history.jsonl'), 'utf8')).trim().split('\n');
    expect(history).toHaveLength(1);
    expect(historyEntrySchema.parse(JSON.parse(history[0] ?? '')).label).toBe('smoke test');
  });
});
