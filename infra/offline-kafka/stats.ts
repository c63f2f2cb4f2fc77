/**
 * What one event source has done since `sls offline start` began: the counters AWS publishes to CloudWatch for
 * an event-source mapping, and the last invocations. On AWS these live in CloudWatch (metrics) and in the
 * function's logs; locally the control API's `local-stats` route serves them. Pure: the runner reports what it
 * fetched and each line batch.ts logs, and the offset lag is computed from offsets read elsewhere.
 */
import type { InvocationLog } from './batch.ts';
import type { EventSource } from './options.ts';

/** AWS's event-source-mapping metrics, as sums since the start. */
export interface MappingMetrics {
  /** Records read from Kafka (a record fetched again after a rebalance or a re-enable counts again). */
  PolledEventCount: number;
  /** Records the function was invoked with, counted once per invocation that carried them (retries count). */
  InvokedEventCount: number;
  /** Records no filter pattern matched, which were skipped and committed. */
  FilteredOutEventCount: number;
  /**
   * Records of invocations that failed (a function error, a timeout, an unreachable function, an invalid
   * response), and records a partial batch response named.
   */
  FailedInvokeEventCount: number;
  /** Records given up (retries exhausted, too old, too large) with no on-failure destination to take them. */
  DroppedEventCount: number;
  /** Records written to the on-failure destination. */
  OnFailureDestinationDeliveredEventCount: number;
  /** Records written to the topic that the consumer group has not committed past, over all partitions; null when Kafka cannot be read. */
  OffsetLag: number | null;
}

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
  metrics: MappingMetrics;
  /** Newest first, at most {@link invocationLimit}. */
  invocations: InvocationEntry[];
}

/** How many invocations are kept. */
export const invocationLimit = 200;

/** The counters and the last invocations of one mapping. */
export class MappingStats {
  private readonly counts: Omit<MappingMetrics, 'OffsetLag'> = {
    PolledEventCount: 0,
    InvokedEventCount: 0,
    FilteredOutEventCount: 0,
    FailedInvokeEventCount: 0,
    DroppedEventCount: 0,
    OnFailureDestinationDeliveredEventCount: 0,
  };
  /** Oldest first; trimmed to the limit. */
  private readonly entries: InvocationEntry[] = [];
  private last: InvocationLog['result'] | undefined;

  constructor(private readonly limit = invocationLimit) {}

  /** Records read from Kafka, and how many of them the filters dropped. */
  polled(records: number, filteredOut: number): void {
    this.counts.PolledEventCount += records;
    this.counts.FilteredOutEventCount += filteredOut;
  }

  /** One line of batch.ts: an invocation, or records handed to the destination or dropped. */
  record(entry: InvocationLog): void {
    switch (entry.result) {
      case 'ok':
      case 'partial':
      case 'failed':
        this.counts.InvokedEventCount += entry.size;
        this.counts.FailedInvokeEventCount += entry.failedRecords;
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

  /** The counters with the offset lag read elsewhere, and the invocations newest first. */
  snapshot(offsetLag: number | null): LocalStats {
    return { metrics: { ...this.counts, OffsetLag: offsetLag }, invocations: [...this.entries].reverse() };
  }
}

/** A partition's offsets: the topic's low and high watermarks, and the group's committed offset (-1: none). */
export interface PartitionOffsets {
  partition: number;
  low: number;
  high: number;
  committed: number;
}

/**
 * AWS's `OffsetLag` at the topic level: over every partition, the records after the group's committed offset.
 * A partition the group never committed counts from where the starting position would begin: nothing for
 * `LATEST`, everything still in the topic otherwise (an upper bound for `AT_TIMESTAMP`).
 */
export function offsetLag(
  partitions: readonly PartitionOffsets[],
  startingPosition: EventSource['startingPosition'],
): number {
  let lag = 0;
  for (const p of partitions) {
    const from =
      p.committed >= 0 ? Math.max(p.committed, p.low) : startingPosition === 'LATEST' ? p.high : p.low;
    lag += Math.max(0, p.high - from);
  }
  return lag;
}
