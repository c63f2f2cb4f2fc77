/**
 * The pure half of the Kafka baselines: the command lines of Kafka's own performance tools
 * (`org.apache.kafka.tools.ProducerPerformance` and `ConsumerPerformance`, run from the broker's jars) and
 * parsers of what they print. Nothing here starts a process; `kafka.ts` does, and these are tested on the
 * tools' real output.
 */

/** One summary line of ProducerPerformance: the whole run's, or the steady state's after the warm-up. */
export interface ProducerStats {
  /** Records acknowledged (failed sends are not counted; the tool prints their stack traces to stderr). */
  records: number;
  recordsPerSecond: number;
  /** The tool's MB is 2^20 bytes. */
  megabytesPerSecond: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
}

/** What ProducerPerformance reports at the end of a run. */
export interface ProducerSummary {
  total: ProducerStats;
  /** Only with `--warmup-records`: the records after the warm-up. */
  steadyState?: ProducerStats;
}

// `%d records sent, %f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, %d ms 50th,
// %d ms 95th, %d ms 99th, %d ms 99.9th.` The progress lines printed every reporting interval share the
// start but have no percentiles, so they never match. The JVM runs with an English locale (see
// `kafkaToolJvmArgs`): the numbers use a decimal point.
const num = String.raw`(\d+(?:\.\d+)?)`;
const producerLine = new RegExp(
  String.raw`^(\d+) (steady state )?records sent, ${num} records/sec \(${num} MB/sec\), ${num} ms avg latency, ` +
    String.raw`${num} ms max latency, ${num} ms 50th, ${num} ms 95th, ${num} ms 99th, ${num} ms 99\.9th\.?$`,
);

/**
 * Reads ProducerPerformance's final summary (and the steady-state summary, when there was a warm-up) from
 * its stdout.
 *
 * @returns the summary, or undefined when stdout holds no final summary line (the run failed or was cut)
 */
export function parseProducerPerformance(stdout: string): ProducerSummary | undefined {
  let total: ProducerStats | undefined;
  let steadyState: ProducerStats | undefined;
  for (const line of stdout.split(/\r?\n/)) {
    const m = producerLine.exec(line.trim());
    if (!m) continue;
    // Every group but the steady-state marker matched digits.
    const at = (group: number) => Number(m[group]);
    const stats: ProducerStats = {
      records: at(1),
      recordsPerSecond: at(3),
      megabytesPerSecond: at(4),
      avgLatencyMs: at(5),
      maxLatencyMs: at(6),
      p50Ms: at(7),
      p95Ms: at(8),
      p99Ms: at(9),
      p999Ms: at(10),
    };
    if (m[2] === undefined) total = stats;
    else steadyState = stats;
  }
  if (total === undefined) return undefined;
  return steadyState === undefined ? { total } : { total, steadyState };
}

/** ConsumerPerformance's summary row (printed without `--show-detailed-stats`). */
export interface ConsumerSummary {
  /** As the tool prints them (`yyyy-MM-dd HH:mm:ss:SSS`, local time). */
  startTime: string;
  endTime: string;
  /** Key and value bytes consumed, in the tool's MB (2^20 bytes). */
  megabytes: number;
  /** Over the whole run, group join included. */
  megabytesPerSecond: number;
  records: number;
  /** Over the whole run, group join included (`nMsg.sec`). */
  recordsPerSecond: number;
  /** Time spent joining the group (`rebalance.time.ms`); undefined when the tool does not print it. */
  rebalanceMs?: number;
  /** The run minus the group join (`fetch.time.ms`). */
  fetchMs?: number;
  fetchMegabytesPerSecond?: number;
  /** Records per second of fetch time (`fetch.nMsg.sec`). */
  fetchRecordsPerSecond?: number;
  /**
   * The tool gave up waiting for more records (`--timeout` passed with no record). Its end time, and so
   * every rate, then includes that wait.
   */
  timedOut: boolean;
}

/**
 * Reads ConsumerPerformance's summary from its stdout: a header line of comma-separated column names
 * (`start.time, end.time, data.consumed.in.MB, …`) and, after it, one row of values. Columns are found by
 * name, so a tool that prints fewer (older Kafka has no `fetch.*` columns) still parses.
 *
 * @returns the summary, or undefined when there is no header, no row, or a required value is not a number
 */
export function parseConsumerPerformance(stdout: string): ConsumerSummary | undefined {
  const lines = stdout.split(/\r?\n/).map((l) => l.trim());
  const headerAt = lines.findIndex((l) => l.startsWith('start.time,'));
  if (headerAt < 0) return undefined;
  const header = splitRow(lines[headerAt] ?? '');
  const after = lines.slice(headerAt + 1);
  const row = after.findLast((l) => !l.startsWith('WARNING') && splitRow(l).length === header.length);
  if (row === undefined) return undefined;
  const values = splitRow(row);
  const field = (name: string): string | undefined => {
    const at = header.indexOf(name);
    return at < 0 ? undefined : values[at];
  };
  const number = (name: string): number | undefined => {
    const text = field(name);
    const n = text === undefined || text === '' ? Number.NaN : Number(text);
    return Number.isFinite(n) ? n : undefined;
  };

  const megabytes = number('data.consumed.in.MB');
  const megabytesPerSecond = number('MB.sec');
  const records = number('data.consumed.in.nMsg');
  const recordsPerSecond = number('nMsg.sec');
  if (
    megabytes === undefined ||
    megabytesPerSecond === undefined ||
    records === undefined ||
    recordsPerSecond === undefined
  ) {
    return undefined;
  }
  return {
    startTime: field('start.time') ?? '',
    endTime: field('end.time') ?? '',
    megabytes,
    megabytesPerSecond,
    records,
    recordsPerSecond,
    rebalanceMs: number('rebalance.time.ms'),
    fetchMs: number('fetch.time.ms'),
    fetchMegabytesPerSecond: number('fetch.MB.sec'),
    fetchRecordsPerSecond: number('fetch.nMsg.sec'),
    timedOut: after.some((l) => l.startsWith('WARNING: Exiting before consuming the expected number')),
  };
}

function splitRow(line: string): string[] {
  return line.split(',').map((f) => f.trim());
}

/** Client properties as the tools take them: `name=value` words, in a stable order. */
export function propertyArgs(props: Readonly<Record<string, string | number>>): string[] {
  return Object.entries(props).map(([name, value]) => `${name}=${value}`);
}

/**
 * JVM options for a tool: a modest heap, since the broker and Cassandra share the machine, and an English
 * locale, because the tools format their numbers with `String.format`, whose decimal separator follows the
 * default locale (a comma in, say, de_DE would break the parsers). The tools' client code needs no module
 * flags on Java 17, like the broker (see `infra/local/services.ts`).
 */
export function kafkaToolJvmArgs(heap = '512m'): string[] {
  return [
    `-Xmx${heap}`,
    '-XX:+UseG1GC',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    '-Duser.language=en',
    '-Duser.country=US',
  ];
}

/** What {@link producerPerformanceArgs} needs. */
export interface ProducerRun {
  topic: string;
  records: number;
  recordBytes: number;
  /** `host:port` list. */
  bootstrap: string;
  props: Readonly<Record<string, string | number>>;
  warmupRecords: number;
}

/**
 * ProducerPerformance's arguments: unthrottled (`--throughput -1`), random payloads of `recordBytes`.
 * `--command-property` replaces `--producer-props`, deprecated in Kafka 4.
 */
export function producerPerformanceArgs(run: ProducerRun): string[] {
  return [
    '--bootstrap-server',
    run.bootstrap,
    '--topic',
    run.topic,
    '--num-records',
    String(run.records),
    '--record-size',
    String(run.recordBytes),
    '--throughput',
    '-1',
    ...(run.warmupRecords > 0 ? ['--warmup-records', String(run.warmupRecords)] : []),
    ...(Object.keys(run.props).length > 0 ? ['--command-property', ...propertyArgs(run.props)] : []),
  ];
}

/** What {@link consumerPerformanceArgs} needs. */
export interface ConsumerRun {
  topic: string;
  records: number;
  bootstrap: string;
  group: string;
  /** The tool's `--timeout`: how long it waits for the next record before giving up. */
  idleTimeoutMs: number;
  props: Readonly<Record<string, string | number>>;
}

/**
 * ConsumerPerformance's arguments: from the earliest offset (the default without `--from-latest`) under a
 * group of its own, summary only (no `--show-detailed-stats`). `--num-records` replaces `--messages`,
 * deprecated in Kafka 4.
 */
export function consumerPerformanceArgs(run: ConsumerRun): string[] {
  const props = propertyArgs(run.props);
  return [
    '--bootstrap-server',
    run.bootstrap,
    '--topic',
    run.topic,
    '--num-records',
    String(run.records),
    '--group',
    run.group,
    '--timeout',
    String(run.idleTimeoutMs),
    ...(props.length > 0 ? ['--command-property', ...props] : []),
  ];
}

/** The last `lines` non-empty lines of `text`, for error messages. */
export function tailLines(text: string, lines = 20): string {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .slice(-lines)
    .join('\n');
}
