/**
 * The raw Kafka baselines: Kafka's own performance tools, run from the jars the local stack resolved for
 * the broker (`.local/jars/kafka`, see `infra/local/jars.ts`), against the same broker the pipeline uses.
 * They say how fast this machine's Kafka can take and give records at all, so the relay and the sink can be
 * reported as a fraction of it.
 *
 * Each baseline starts one JVM (`java -cp '<jarsDir>/*' org.apache.kafka.tools.…`), waits for it, and reads
 * its summary with the pure parsers in `kafka-output.ts`. Anything short of a clean, complete run (a
 * non-zero exit, unreadable output, fewer records than asked, the deadline, the caller's abort) is a
 * {@link KafkaToolError} carrying the tail of the tool's stderr.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { z } from 'zod';
import type { Baseline } from '../lib/results.ts';
import { BaselineOptionsError, KafkaToolError } from './errors.ts';
import {
  consumerPerformanceArgs,
  kafkaToolJvmArgs,
  parseConsumerPerformance,
  parseProducerPerformance,
  producerPerformanceArgs,
  propertyArgs,
  tailLines,
} from './kafka-output.ts';

const producerTool = 'org.apache.kafka.tools.ProducerPerformance';
const consumerTool = 'org.apache.kafka.tools.ConsumerPerformance';

/**
 * The producer's settings unless the caller overrides them: acknowledged by every in-sync replica, as the
 * relay requires, with a short linger and 64 KiB batches so the tool batches as a tuned producer would
 * rather than sending a request per record.
 */
export const defaultProducerProps: Readonly<Record<string, string | number>> = {
  acks: 'all',
  'linger.ms': 5,
  'batch.size': 65_536,
};

export const kafkaBaselineDefaults = {
  /** `java` on PATH; pass `findJava(cfg.javaHome).java` (infra/local/toolchain.ts) to follow JAVA_HOME. */
  java: 'java',
  /** The broker and Cassandra share the machine, so the tool's heap stays modest. */
  heap: '512m',
  /** ConsumerPerformance's `--timeout`: its own default, the longest wait for the next record. */
  idleTimeoutMs: 10_000,
};

const heap = z.string().regex(/^\d+[mMgG]$/, 'a JVM heap size such as 512m');
const props = z.record(z.string().min(1), z.union([z.string(), z.number()]));
const common = {
  topic: z.string().min(1),
  records: z.number().int().positive(),
  /** `host:port`, or several. */
  brokers: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  /** The directory of the Kafka jars, e.g. `join(cfg.jarsDir, 'kafka')`. */
  jarsDir: z.string().min(1),
  java: z.string().min(1).default(kafkaBaselineDefaults.java),
  heap: heap.default(kafkaBaselineDefaults.heap),
  /** Wall-clock limit for the whole JVM run; by default 2 minutes, or 2 ms per record if longer. */
  timeoutMs: z.number().int().positive().optional(),
  signal: z.instanceof(AbortSignal).optional(),
};

const producerOptionsSchema = z.object({
  ...common,
  /** Bytes of each record's value; use the `users_created` value size to compare like with like. */
  recordBytes: z.number().int().positive(),
  /** Merged over {@link defaultProducerProps}. */
  producerProps: props.default({}),
  /** Records sent first and left out of the rate (the tool's `--warmup-records`); none by default. */
  warmupRecords: z.number().int().nonnegative().default(0),
});

/** Options of {@link kafkaProducerBaseline}. */
export type KafkaProducerBaselineOptions = z.input<typeof producerOptionsSchema>;

const consumerOptionsSchema = z.object({
  ...common,
  /** A fresh group by default, so the tool reads the topic from its first offset. */
  group: z.string().min(1).optional(),
  idleTimeoutMs: z.number().int().positive().default(kafkaBaselineDefaults.idleTimeoutMs),
  consumerProps: props.default({}),
});

/** Options of {@link kafkaConsumerBaseline}. */
export type KafkaConsumerBaselineOptions = z.input<typeof consumerOptionsSchema>;

/**
 * Runs `ProducerPerformance` unthrottled: `records` random values of `recordBytes` each to `topic`, with
 * {@link defaultProducerProps} unless overridden.
 *
 * The rate is the tool's own (from its first send to its last acknowledgement), so the JVM's start is not in
 * it; `details.wallSeconds` has the whole run. With `warmupRecords`, the steady-state figures are the
 * result and the whole run's rate is in `details.totalPerSecond`.
 *
 * @returns baseline `kafka-producer`
 * @throws {@link BaselineOptionsError} for invalid options
 * @throws {@link KafkaToolError} when the tool cannot start, exits non-zero, prints no summary, acknowledges
 *   fewer records than asked, runs past `timeoutMs`, or `signal` aborts it
 */
export async function kafkaProducerBaseline(options: KafkaProducerBaselineOptions): Promise<Baseline> {
  const opts = parseOptions('kafka-producer', producerOptionsSchema, options);
  const tool = 'ProducerPerformance';
  const producerProps = { ...defaultProducerProps, ...opts.producerProps };
  const args = producerPerformanceArgs({
    topic: opts.topic,
    records: opts.records,
    recordBytes: opts.recordBytes,
    bootstrap: bootstrap(opts.brokers),
    props: producerProps,
    warmupRecords: opts.warmupRecords,
  });
  const run = await runKafkaTool(tool, producerTool, args, opts);

  const summary = parseProducerPerformance(run.stdout);
  if (summary === undefined) {
    throw new KafkaToolError(
      tool,
      'output',
      `no final summary line in its output:\n${tailLines(run.stdout, 5)}`,
      run.stderrTail,
    );
  }
  if (summary.total.records < opts.records) {
    throw new KafkaToolError(
      tool,
      'short',
      `${summary.total.records} of ${opts.records} records acknowledged`,
      run.stderrTail,
    );
  }
  const measured = summary.steadyState ?? summary.total;
  return {
    id: 'kafka-producer',
    name: `kafka ProducerPerformance (acks=${producerProps.acks})`,
    records: measured.records,
    recordBytes: opts.recordBytes,
    seconds: measured.recordsPerSecond > 0 ? measured.records / measured.recordsPerSecond : 0,
    perSecond: measured.recordsPerSecond,
    details: {
      topic: opts.topic,
      producerProps: propertyArgs(producerProps).join(' '),
      throughput: 'unthrottled (-1)',
      warmupRecords: opts.warmupRecords,
      ...(summary.steadyState === undefined ? {} : { totalPerSecond: summary.total.recordsPerSecond }),
      megabytesPerSecond: measured.megabytesPerSecond,
      avgLatencyMs: measured.avgLatencyMs,
      maxLatencyMs: measured.maxLatencyMs,
      p50LatencyMs: measured.p50Ms,
      p95LatencyMs: measured.p95Ms,
      p99LatencyMs: measured.p99Ms,
      p999LatencyMs: measured.p999Ms,
      heap: opts.heap,
      wallSeconds: run.wallSeconds,
    },
  };
}

/**
 * Runs `ConsumerPerformance`: reads `records` records of `topic` from the earliest offset under a fresh
 * group, and reports its summary row.
 *
 * The tool's headline rate (`nMsg.sec`) spans its whole run, including joining the group, which on a single
 * broker is a second or two of nothing: a fixed cost, not throughput. So the result is the rate over fetch
 * time (`fetch.nMsg.sec`, which leaves the join out) when the tool prints it; the headline rate and the join
 * time are in `details`. `records` may come back a little higher than asked: the tool stops after the batch
 * that reaches the count.
 *
 * The topic must already hold at least `records` records. If it holds fewer, the tool waits `idleTimeoutMs`
 * for more and then stops with its rates including that wait, which this reports as an error rather than a
 * measurement.
 *
 * @returns baseline `kafka-consumer`; `recordBytes` is the mean of key plus value bytes the tool counted
 * @throws {@link BaselineOptionsError} for invalid options
 * @throws {@link KafkaToolError} when the tool cannot start, exits non-zero, prints no summary row, reads
 *   fewer records than asked, runs past `timeoutMs`, or `signal` aborts it
 */
export async function kafkaConsumerBaseline(options: KafkaConsumerBaselineOptions): Promise<Baseline> {
  const opts = parseOptions('kafka-consumer', consumerOptionsSchema, options);
  const tool = 'ConsumerPerformance';
  const group = opts.group ?? `bench-baseline-${randomBytes(4).toString('hex')}`;
  const args = consumerPerformanceArgs({
    topic: opts.topic,
    records: opts.records,
    bootstrap: bootstrap(opts.brokers),
    group,
    idleTimeoutMs: opts.idleTimeoutMs,
    props: opts.consumerProps,
  });
  const run = await runKafkaTool(tool, consumerTool, args, opts);

  const summary = parseConsumerPerformance(run.stdout);
  if (summary === undefined) {
    throw new KafkaToolError(
      tool,
      'output',
      `no summary row in its output:\n${tailLines(run.stdout, 5)}`,
      run.stderrTail,
    );
  }
  if (summary.timedOut || summary.records < opts.records) {
    throw new KafkaToolError(
      tool,
      'short',
      `read ${summary.records} of ${opts.records} records before its ${opts.idleTimeoutMs} ms idle timeout ` +
        `(does ${opts.topic} hold ${opts.records} records?)`,
      run.stderrTail,
    );
  }
  const fetchRate = summary.fetchRecordsPerSecond;
  const perSecond = fetchRate ?? summary.recordsPerSecond;
  const seconds =
    fetchRate !== undefined && summary.fetchMs !== undefined
      ? summary.fetchMs / 1000
      : perSecond > 0
        ? summary.records / perSecond
        : 0;
  return {
    id: 'kafka-consumer',
    name:
      fetchRate === undefined
        ? 'kafka ConsumerPerformance'
        : 'kafka ConsumerPerformance (fetch rate, group join excluded)',
    records: summary.records,
    recordBytes: summary.records > 0 ? Math.round((summary.megabytes * 2 ** 20) / summary.records) : 0,
    seconds,
    perSecond,
    details: {
      topic: opts.topic,
      group,
      rate: fetchRate === undefined ? 'nMsg.sec' : 'fetch.nMsg.sec',
      nMsgPerSecond: summary.recordsPerSecond,
      megabytesPerSecond: summary.megabytesPerSecond,
      ...(summary.rebalanceMs === undefined ? {} : { rebalanceMs: summary.rebalanceMs }),
      ...(summary.fetchMs === undefined ? {} : { fetchMs: summary.fetchMs }),
      ...(summary.fetchMegabytesPerSecond === undefined
        ? {}
        : { fetchMegabytesPerSecond: summary.fetchMegabytesPerSecond }),
      consumerProps: propertyArgs(opts.consumerProps).join(' ') || '(defaults)',
      heap: opts.heap,
      wallSeconds: run.wallSeconds,
    },
  };
}

function parseOptions<S extends z.ZodType>(baseline: string, schema: S, options: unknown): z.output<S> {
  const parsed = schema.safeParse(options);
  if (!parsed.success) throw new BaselineOptionsError(baseline, parsed.error.issues);
  return parsed.data;
}

function bootstrap(brokers: string | readonly string[]): string {
  return typeof brokers === 'string' ? brokers : brokers.join(',');
}

/** How a tool's JVM ended, with what it printed. */
interface ToolRun {
  stdout: string;
  /** The last lines of stderr, for error messages. */
  stderrTail: string;
  wallSeconds: number;
}

// Enough for any summary; a tool that floods a stream keeps only its tail.
const maxStdoutChars = 1 << 20;
const maxStderrChars = 64 << 10;
const killGraceMs = 5_000;

/**
 * Starts `java … <mainClass> <args>` on the Kafka jars and waits for it to exit 0.
 *
 * @throws {@link KafkaToolError} (`spawn`, `exit`, `timeout` or `aborted`)
 */
async function runKafkaTool(
  tool: string,
  mainClass: string,
  args: readonly string[],
  opts: {
    jarsDir: string;
    java: string;
    heap: string;
    records: number;
    timeoutMs?: number;
    signal?: AbortSignal;
  },
): Promise<ToolRun> {
  checkToolJars(tool, opts.jarsDir);
  if (opts.signal?.aborted) throw new KafkaToolError(tool, 'aborted', 'aborted before it started', '');
  const timeoutMs = opts.timeoutMs ?? Math.max(120_000, opts.records * 2);
  const started = performance.now();
  const child = spawn(
    opts.java,
    [...kafkaToolJvmArgs(opts.heap), '-cp', `${opts.jarsDir}/*`, mainClass, ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout = (stdout + chunk).slice(-maxStdoutChars);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-maxStderrChars);
  });

  let stopped: 'timeout' | 'aborted' | undefined;
  const stop = (why: 'timeout' | 'aborted') => {
    if (stopped !== undefined || child.exitCode !== null) return;
    stopped = why;
    child.kill('SIGTERM');
    // A JVM stuck in a shutdown hook gets a few seconds, then no choice.
    setTimeout(() => child.kill('SIGKILL'), killGraceMs).unref();
  };
  const timer = setTimeout(() => stop('timeout'), timeoutMs);
  const onAbort = () => stop('aborted');
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
      (resolve, reject) => {
        child.once('error', reject);
        child.once('close', (code, signal) => resolve({ code, signal }));
      },
    ).catch((error: unknown) => {
      throw new KafkaToolError(
        tool,
        'spawn',
        `cannot run ${opts.java}: ${String(error)}`,
        '',
        undefined,
        error,
      );
    });
    const stderrTail = tailLines(stderr);
    if (stopped === 'timeout') {
      throw new KafkaToolError(tool, 'timeout', `stopped after ${timeoutMs} ms`, stderrTail, exit.code);
    }
    if (stopped === 'aborted')
      throw new KafkaToolError(tool, 'aborted', 'aborted by the caller', stderrTail, exit.code);
    if (exit.code !== 0) {
      const how = exit.code === null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      throw new KafkaToolError(tool, 'exit', how, stderrTail, exit.code);
    }
    return { stdout, stderrTail, wallSeconds: (performance.now() - started) / 1000 };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** Fails early, and clearly, when the jars are not there: the JVM's own complaint is a bare ClassNotFound. */
function checkToolJars(tool: string, jarsDir: string): void {
  const jars = existsSync(jarsDir) ? readdirSync(jarsDir) : [];
  if (!jars.some((name) => /^kafka-tools-[\d.]+.*\.jar$/.test(name))) {
    throw new KafkaToolError(
      tool,
      'spawn',
      `no kafka-tools jar in ${jarsDir}; \`npm run stack:up\` resolves the Kafka jars into .local/jars/kafka`,
      '',
    );
  }
}
