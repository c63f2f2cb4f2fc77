/**
 * One batch of one partition, from first invocation to the moment its offsets may be committed: retries,
 * maximum record age, bisect on function error, partial batch responses and the on-failure destination,
 * as Lambda applies them to Kafka sources. The I/O (invoking, producing, sleeping, the clock) comes in as
 * dependencies, so every path is unit-tested without a network.
 *
 * The retry loop is hand-written rather than p-retry's: a retry here may carry fewer records than the
 * attempt before it (bisect, partial responses, expired records), which a retry-a-thunk library cannot
 * express.
 */
import { partitionKey, type SourceRecord } from './event.ts';
import type { EventSource } from './options.ts';
import type { RejectionCode } from './registry.ts';
import { type InvokeOutcome, readPartialResult } from './response.ts';

/**
 * Why records left the batch without succeeding; AWS's names for the conditions, the registry step's
 * reason codes (registry.ts) among them.
 */
export type FailureCondition =
  | 'RetryAttemptsExhausted'
  | 'RecordAgeExceeded'
  | 'PayloadSizeExceeded'
  | RejectionCode;

/** Records handed to the on-failure destination, with what AWS records about the failure. */
export interface FailedBatch {
  records: SourceRecord[];
  condition: FailureCondition;
  /** Invocations made with these records, including the first. */
  approximateInvokeCount: number;
  /** The last function error, when there was one. */
  error?: { errorType: string; errorMessage: string };
}

/** What processing a batch needs from the outside. */
export interface BatchDeps {
  source: Pick<
    EventSource,
    | 'functionKey'
    | 'maximumRetryAttempts'
    | 'maximumRecordAgeMs'
    | 'bisectBatchOnFunctionError'
    | 'reportBatchItemFailures'
    | 'onFailure'
  >;
  invoke: (records: SourceRecord[]) => Promise<InvokeOutcome>;
  /** Sends records to the on-failure destination and resolves once it has them. */
  sendToDestination: (failed: FailedBatch) => Promise<void>;
  /** One line per invocation and per record set that leaves the batch. */
  log: (line: InvocationLog) => void;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Delay before retry number `retry` (1-based). */
  backoff: (retry: number) => number;
  /** False once shutdown starts: no further invocation is made and the batch is left uncommitted. */
  running: () => boolean;
}

/**
 * How an invocation ended, or where records that left the batch without one went: `partial` when a partial
 * batch response named some records, `failed` for a function error or an invalid response, and for records
 * given up, `sent-to-destination` or `discarded`.
 */
export type InvocationResult = 'ok' | 'partial' | 'failed' | 'sent-to-destination' | 'discarded';

/** What one invocation (or one hand-off to the destination, or one discard) did: the log line and the stats. */
export interface InvocationLog {
  functionKey: string;
  partitions: string[];
  /** The partition of the records (a batch holds one partition's records). */
  partition: number;
  size: number;
  firstOffset: number;
  lastOffset: number;
  /** When the invocation started (or the records were given up), in ms since the epoch. */
  startedAt: number;
  durationMs: number;
  result: InvocationResult;
  /** Records the function failed: all of them on an error or invalid response, those named on a partial one. */
  failedRecords: number;
  /** Invocations these records had been part of before this one (a bisect is not a retry). */
  retries: number;
  /** How many times the batch was halved to get down to these records. */
  bisections: number;
  /** For records given up: AWS's name for the condition. */
  condition?: FailureCondition;
  /** The text after the colon in the log line. */
  outcome: string;
}

/** How a batch ended. `committable` is false only when shutdown interrupted it. */
export interface BatchResult {
  committable: boolean;
  invocations: number;
  delivered: number;
  failedToDestination: number;
  discarded: number;
}

/** A batch that has done nothing yet. */
export function emptyResult(): BatchResult {
  return { committable: true, invocations: 0, delivered: 0, failedToDestination: 0, discarded: 0 };
}

interface Work {
  records: SourceRecord[];
  /** Invocations already made with (a superset of) these records. */
  attempts: number;
  /** Halvings of the batch that led to these records. */
  bisections: number;
  lastError?: { errorType: string; errorMessage: string };
}

/**
 * Runs a batch to completion. Resolves when every record has succeeded, gone to the on-failure destination,
 * or been discarded after its retries (only when no destination is configured and retries are finite), so
 * the caller may commit past the batch; resolves with `committable: false` if shutdown began first.
 */
export async function processBatch(records: SourceRecord[], deps: BatchDeps): Promise<BatchResult> {
  const result = emptyResult();
  const queue: Work[] = [{ records, attempts: 0, bisections: 0 }];
  const maxRetries = deps.source.maximumRetryAttempts;

  while (queue.length > 0) {
    const work = queue.shift();
    if (work === undefined) break;
    if (!deps.running()) return { ...result, committable: false };

    const fresh = await dropExpired(work, deps, result);
    if (fresh.length === 0) continue;

    const started = deps.now();
    const outcome = await deps.invoke(fresh);
    result.invocations++;
    const attempts = work.attempts + 1;
    const elapsed = deps.now() - started;
    const invoked = {
      startedAt: started,
      durationMs: elapsed,
      retries: work.attempts,
      bisections: work.bisections,
    };

    let failed: SourceRecord[];
    let error: Work['lastError'];
    if (outcome.ok) {
      const partial = readPartialResult(outcome.payload, fresh, deps.source.reportBatchItemFailures);
      if (partial.kind === 'all-succeeded') {
        result.delivered += fresh.length;
        deps.log(line(deps, fresh, { ...invoked, result: 'ok', failedRecords: 0, outcome: 'ok' }));
        continue;
      }
      if (partial.kind === 'some-failed') {
        failed = partial.failed;
        result.delivered += fresh.length - failed.length;
        error = { errorType: 'BatchItemFailure', errorMessage: `${failed.length} records reported failed` };
        deps.log(
          line(deps, fresh, {
            ...invoked,
            result: 'partial',
            failedRecords: failed.length,
            outcome: `partial: ${failed.length} of ${fresh.length} failed`,
          }),
        );
      } else {
        failed = fresh;
        error = { errorType: 'InvalidBatchItemFailures', errorMessage: partial.reason };
        deps.log(
          line(deps, fresh, {
            ...invoked,
            result: 'failed',
            failedRecords: fresh.length,
            outcome: `invalid response (${partial.reason}): whole batch failed`,
          }),
        );
      }
    } else {
      failed = fresh;
      error = { errorType: outcome.errorType, errorMessage: outcome.errorMessage };
      deps.log(
        line(deps, fresh, {
          ...invoked,
          result: 'failed',
          failedRecords: fresh.length,
          outcome: `error ${outcome.errorType}: ${firstLine(outcome.errorMessage)}`,
        }),
      );
      // Bisecting is not a retry on AWS either: each half starts with the attempts the whole had.
      if (deps.source.bisectBatchOnFunctionError && failed.length > 1) {
        const half = Math.ceil(failed.length / 2);
        const bisections = work.bisections + 1;
        queue.unshift(
          { records: failed.slice(0, half), attempts: work.attempts, bisections, lastError: error },
          { records: failed.slice(half), attempts: work.attempts, bisections, lastError: error },
        );
        continue;
      }
    }

    if (maxRetries !== -1 && attempts > maxRetries) {
      await giveUp(failed, 'RetryAttemptsExhausted', attempts, error, deps, result, work.bisections);
      continue;
    }
    const delay = deps.backoff(attempts);
    await deps.sleep(delay);
    queue.unshift({ records: failed, attempts, bisections: work.bisections, lastError: error });
  }
  return result;
}

/** Takes the records older than the maximum record age out of the work and hands them on. */
async function dropExpired(work: Work, deps: BatchDeps, result: BatchResult): Promise<SourceRecord[]> {
  const maxAge = deps.source.maximumRecordAgeMs;
  if (maxAge === undefined) return work.records;
  const now = deps.now();
  const expired = work.records.filter((r) => now - r.timestamp > maxAge);
  if (expired.length === 0) return work.records;
  await giveUp(expired, 'RecordAgeExceeded', work.attempts, work.lastError, deps, result, work.bisections);
  return work.records.filter((r) => now - r.timestamp <= maxAge);
}

/**
 * Records that will not be retried: to the on-failure destination when there is one (the batch waits for
 * its acknowledgement), otherwise discarded with a log line, as AWS discards them.
 */
export async function giveUp(
  records: SourceRecord[],
  condition: FailureCondition,
  approximateInvokeCount: number,
  error: Work['lastError'],
  deps: Pick<BatchDeps, 'source' | 'sendToDestination' | 'log' | 'now'>,
  result: BatchResult,
  bisections = 0,
): Promise<void> {
  const destination = deps.source.onFailure;
  const given = {
    startedAt: deps.now(),
    durationMs: 0,
    failedRecords: 0,
    retries: Math.max(0, approximateInvokeCount - 1),
    bisections,
    condition,
  };
  if (destination?.kind === 'kafka') {
    await deps.sendToDestination({
      records,
      condition,
      approximateInvokeCount,
      ...(error ? { error } : {}),
    });
    result.failedToDestination += records.length;
    deps.log(
      line(deps, records, {
        ...given,
        result: 'sent-to-destination',
        outcome: `${condition}: sent to kafka://${destination.topic}`,
      }),
    );
    return;
  }
  result.discarded += records.length;
  deps.log(
    line(deps, records, {
      ...given,
      result: 'discarded',
      outcome: `${condition}: DISCARDED (${destination ? `destination ${destination.arn} is not emulated` : 'no on-failure destination'})`,
    }),
  );
}

function line(
  deps: Pick<BatchDeps, 'source'>,
  records: readonly SourceRecord[],
  what: Omit<
    InvocationLog,
    'functionKey' | 'partitions' | 'partition' | 'size' | 'firstOffset' | 'lastOffset'
  >,
): InvocationLog {
  return {
    functionKey: deps.source.functionKey,
    partitions: [...new Set(records.map(partitionKey))],
    partition: records[0]?.partition ?? -1,
    size: records.length,
    firstOffset: records[0]?.offset ?? -1,
    lastOffset: records.at(-1)?.offset ?? -1,
    ...what,
  };
}

/** `sink-users users_created-0 100 records @10..109 in 84 ms: ok` */
export function formatLog(entry: InvocationLog): string {
  const range =
    entry.firstOffset === entry.lastOffset
      ? `@${entry.firstOffset}`
      : `@${entry.firstOffset}..${entry.lastOffset}`;
  return `${entry.functionKey} ${entry.partitions.join(',')} ${entry.size} record${entry.size === 1 ? '' : 's'} ${range} in ${Math.round(entry.durationMs)} ms: ${entry.outcome}`;
}

function firstLine(text: string): string {
  const first = text.split('\n', 1)[0] ?? '';
  return first.length > 200 ? `${first.slice(0, 200)}…` : first;
}
