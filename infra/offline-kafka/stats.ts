/**
 * What one event source has done since `sls offline start` began: the counters AWS publishes to CloudWatch for
 * an event-source mapping, and the last invocations. On AWS these live in CloudWatch (metrics) and in the
 * function's logs; locally the control API's `local-stats` route serves them. Pure: the runner reports what it
 * fetched and each line batch.ts logs, and the offset lag is computed from offsets read elsewhere.
 */
import type { InvocationLog } from './batch.ts';
import type { EventSource, mappingMetrics } from './options.ts';

/**
 * The metrics AWS publishes for a Kafka event-source mapping, by the `MetricsConfig` group that turns them on
 * (Lambda's "Event source mapping metrics"; `DeletedEventCount` is SQS's only). A group not listed in the
 * event's `metricsConfig` is not published, on AWS nor here.
 */
export const metricGroups = {
  EventCount: [
    'PolledEventCount',
    'FilteredOutEventCount',
    'InvokedEventCount',
    'FailedInvokeEventCount',
    'DroppedEventCount',
    'OnFailureDestinationDeliveredEventCount',
    'CommittedEventCount',
  ],
  ErrorCount: [
    'PollingErrorCount',
    'InvokeErrorCount',
    'OnFailureDestinationDeliveryErrorCount',
    'SchemaRegistryErrorCount',
    'CommitErrorCount',
  ],
  KafkaMetrics: ['MaxOffsetLag', 'SumOffsetLag'],
} as const satisfies Record<MetricGroup, readonly string[]>;

/** A `MetricsConfig.Metrics` value. */
export type MetricGroup = (typeof mappingMetrics)[number];
type CountName = (typeof metricGroups)['EventCount' | 'ErrorCount'][number];
type LagName = (typeof metricGroups)['KafkaMetrics'][number];

/**
 * AWS's event-source-mapping metrics, as sums since the start (the lags as read now). Each is present only
 * when its group is published.
 *
 * - `PolledEventCount`: records read from Kafka (a record fetched again after a rebalance or a re-enable
 *   counts again). `FilteredOutEventCount`: those no filter pattern matched, skipped and committed.
 * - `InvokedEventCount`: records the function was invoked with, once per invocation (retries count).
 * - `FailedInvokeEventCount`: records of failed invocations (function error, timeout, unreachable, invalid
 *   response) and records a partial batch response named.
 * - `DroppedEventCount`: records given up (retries exhausted, too old, too large) with no destination.
 * - `OnFailureDestinationDeliveredEventCount`: records written to the on-failure destination.
 * - `CommittedEventCount`: the sum of how far each partition's committed offset moved.
 * - `PollingErrorCount`: failed starts of the consumer (Kafka or the topic not there).
 * - `InvokeErrorCount`: failed invocations, per batch (not per record).
 * - `OnFailureDestinationDeliveryErrorCount`: failed writes to the destination.
 * - `SchemaRegistryErrorCount`: records the schema registry step rejected (registry.ts), and asks of a
 *   registry that did not answer.
 * - `CommitErrorCount`: commits Kafka refused.
 * - `MaxOffsetLag`, `SumOffsetLag`: the largest and the total of the partitions' lags behind the committed
 *   offsets; null when Kafka cannot be read.
 */
export type MappingMetrics = Partial<Record<CountName, number> & Record<LagName, number | null>>;

/** The errors the runner reports, by their metric. */
export type ErrorMetric = (typeof metricGroups)['ErrorCount'][number];

/** One line of the invocation list. */
export interface InvocationEntry {
  /** When it started, ISO 8601. */
  at: string;
  partition: number;
  records: number;
  firstOffset: string;
  lastOffset: string;
  durationMs: number;
  outcome: 'ok' | 'partial' | 'failed' | 'sent-to-destination';
  retries: number;
  bisections: number;
  /** Records that were given up rather than invoked: AWS's name for why. */
  condition?: string;
  /** Records given up with nowhere to go: they are gone (the outcome says `failed`). */
  dropped?: boolean;
  /** The log line's outcome text, e.g. `partial: 2 of 10 failed` or `error Error: boom`. */
  detail: string;
}

/** What the `local-stats` route answers. */
export interface LocalStats {
  /** The groups the mapping publishes (its `metricsConfig`); none when unset, as on AWS. */
  metricsConfig: MetricGroup[];
  metrics: MappingMetrics;
  /** Newest first, at most {@link invocationLimit}. */
  invocations: InvocationEntry[];
}

/** How many invocations are kept. */
export const invocationLimit = 200;

/** The counters and the last invocations of one mapping. */
export class MappingStats {
  private readonly counts: Record<CountName, number> = {
    PolledEventCount: 0,
    FilteredOutEventCount: 0,
    InvokedEventCount: 0,
    FailedInvokeEventCount: 0,
    DroppedEventCount: 0,
    OnFailureDestinationDeliveredEventCount: 0,
    CommittedEventCount: 0,
    PollingErrorCount: 0,
    InvokeErrorCount: 0,
    OnFailureDestinationDeliveryErrorCount: 0,
    SchemaRegistryErrorCount: 0,
    CommitErrorCount: 0,
  };
  /** Oldest first; trimmed to the limit. */
  private readonly entries: InvocationEntry[] = [];
  private last: InvocationLog['result'] | undefined;

  /** @param published - the event's `metricsConfig` groups; the others are counted but not shown */
  constructor(
    private readonly published: readonly MetricGroup[] = [],
    private readonly limit = invocationLimit,
  ) {}

  /** Records read from Kafka, and how many of them the filters dropped. */
  polled(records: number, filteredOut: number): void {
    this.counts.PolledEventCount += records;
    this.counts.FilteredOutEventCount += filteredOut;
  }

  /** Records whose offsets were committed: how far a partition's committed offset moved. */
  committed(records: number): void {
    this.counts.CommittedEventCount += records;
  }

  /** One error of the kinds the ErrorCount group counts. */
  error(metric: ErrorMetric): void {
    this.counts[metric]++;
  }

  /** One line of batch.ts: an invocation, or records handed to the destination or dropped. */
  record(entry: InvocationLog): void {
    switch (entry.result) {
      case 'ok':
      case 'partial':
      case 'failed':
        this.counts.InvokedEventCount += entry.size;
        this.counts.FailedInvokeEventCount += entry.failedRecords;
        if (entry.result === 'failed') this.counts.InvokeErrorCount++;
        this.last = entry.result;
        break;
      case 'sent-to-destination':
        this.counts.OnFailureDestinationDeliveredEventCount += entry.size;
        break;
      case 'discarded':
        this.counts.DroppedEventCount += entry.size;
        break;
    }
    this.entries.push({
      at: new Date(entry.startedAt).toISOString(),
      partition: entry.partition,
      records: entry.size,
      firstOffset: String(entry.firstOffset),
      lastOffset: String(entry.lastOffset),
      durationMs: Math.round(entry.durationMs),
      outcome: entry.result === 'discarded' ? 'failed' : entry.result,
      retries: entry.retries,
      bisections: entry.bisections,
      ...(entry.condition === undefined ? {} : { condition: entry.condition }),
      ...(entry.result === 'discarded' ? { dropped: true } : {}),
      detail: entry.outcome,
    });
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
  }

  /**
   * AWS's `LastProcessingResult` for the last invocation: `OK` when the function answered (a partial batch
   * response included), `PROBLEM: Function call failed` when it did not, `No records processed` before any.
   */
  lastProcessingResult(): string {
    if (this.last === undefined) return 'No records processed';
    return this.last === 'failed' ? 'PROBLEM: Function call failed' : 'OK';
  }

  /**
   * The published groups' metrics, with the lags read elsewhere (null: Kafka could not be read), and the
   * invocations newest first.
   */
  snapshot(lag: OffsetLag | null): LocalStats {
    const all: MappingMetrics = {
      ...this.counts,
      MaxOffsetLag: lag?.max ?? null,
      SumOffsetLag: lag?.sum ?? null,
    };
    const metrics: MappingMetrics = {};
    for (const group of this.published) {
      for (const name of metricGroups[group]) Object.assign(metrics, { [name]: all[name] });
    }
    return {
      metricsConfig: [...this.published],
      metrics,
      invocations: [...this.entries].reverse(),
    };
  }
}

/** A partition's offsets: the topic's low and high watermarks, and the group's committed offset (-1: none). */
export interface PartitionOffsets {
  partition: number;
  low: number;
  high: number;
  committed: number;
}

/** The lag of a mapping: the total over its partitions (`SumOffsetLag`) and the largest (`MaxOffsetLag`). */
export interface OffsetLag {
  sum: number;
  max: number;
}

/**
 * AWS's offset lags: over every partition, the records after the group's committed offset. A partition the
 * group never committed counts from where the starting position would begin: nothing for `LATEST`,
 * everything still in the topic otherwise (an upper bound for `AT_TIMESTAMP`).
 */
export function offsetLag(
  partitions: readonly PartitionOffsets[],
  startingPosition: EventSource['startingPosition'],
): OffsetLag {
  let sum = 0;
  let max = 0;
  for (const p of partitions) {
    const from =
      p.committed >= 0 ? Math.max(p.committed, p.low) : startingPosition === 'LATEST' ? p.high : p.low;
    const lag = Math.max(0, p.high - from);
    sum += lag;
    max = Math.max(max, lag);
  }
  return { sum, max };
}
