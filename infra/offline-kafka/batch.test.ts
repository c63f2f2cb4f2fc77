import { describe, expect, it } from 'vitest';
import { baseTimestamp, sourceRecords } from '../../test/helpers/source-records.ts';
import { type BatchDeps, type FailedBatch, formatLog, type InvocationLog, processBatch } from './batch.ts';
import type { SourceRecord } from './event.ts';
import type { InvokeOutcome } from './response.ts';

const ok: InvokeOutcome = { ok: true, payload: null };
const boom: InvokeOutcome = {
  ok: false,
  errorType: 'Error',
  errorMessage: 'boom\n    at handler (index.js:1)',
};
const dlq = { kind: 'kafka', topic: 'users_created_dlq' } as const;

/** How the fake function answers invocation number `call` (1-based) carrying `records`. */
type Script = (records: SourceRecord[], call: number) => InvokeOutcome;

interface Harness {
  deps: BatchDeps;
  /** The offsets each invocation carried. */
  calls: number[][];
  sent: FailedBatch[];
  logs: InvocationLog[];
  delays: number[];
  retriesAskedFor: number[];
}

/**
 * Fake dependencies: each invocation takes 10 ms on a fake clock, `sleep` records its delay and advances
 * the clock at once, and `running` turns false once `stopAfter` invocations have been made.
 */
function harness(
  source: Partial<BatchDeps['source']>,
  script: Script,
  options: { startAt?: number; stopAfter?: number } = {},
): Harness {
  let clock = options.startAt ?? baseTimestamp + 1_000;
  const h: Harness = {
    calls: [],
    sent: [],
    logs: [],
    delays: [],
    retriesAskedFor: [],
    deps: {
      source: {
        functionKey: 'sinkUsers',
        maximumRetryAttempts: -1,
        bisectBatchOnFunctionError: false,
        reportBatchItemFailures: false,
        ...source,
      },
      invoke: async (records) => {
        h.calls.push(records.map((r) => r.offset));
        clock += 10;
        return script(records, h.calls.length);
      },
      sendToDestination: async (failed) => {
        h.sent.push(failed);
      },
      log: (line) => h.logs.push(line),
      now: () => clock,
      sleep: async (ms) => {
        h.delays.push(ms);
        clock += ms;
      },
      backoff: (retry) => {
        h.retriesAskedFor.push(retry);
        return retry * 100;
      },
      running: () => options.stopAfter === undefined || h.calls.length < options.stopAfter,
    },
  };
  return h;
}

function offsets(records: readonly SourceRecord[]): number[] {
  return records.map((r) => r.offset);
}

function partialFailure(...failed: number[]): InvokeOutcome {
  return {
    ok: true,
    payload: {
      batchItemFailures: failed.map((offset) => ({
        itemIdentifier: { partition: 'users_created-0', offset },
      })),
    },
  };
}

describe('processBatch', () => {
  it('invokes once and commits when the function succeeds', async () => {
    const h = harness({}, () => ok);

    const result = await processBatch(sourceRecords(4, 10), h.deps);

    expect(result).toEqual({
      committable: true,
      invocations: 1,
      delivered: 4,
      failedToDestination: 0,
      discarded: 0,
    });
    expect(h.calls).toEqual([[10, 11, 12, 13]]);
    expect(h.delays).toEqual([]);
    expect(h.logs).toEqual([
      {
        functionKey: 'sinkUsers',
        partitions: ['users_created-0'],
        partition: 0,
        size: 4,
        firstOffset: 10,
        lastOffset: 13,
        startedAt: baseTimestamp + 1_000,
        durationMs: 10,
        result: 'ok',
        failedRecords: 0,
        retries: 0,
        bisections: 0,
        outcome: 'ok',
      },
    ]);
  });

  it('retries the whole batch after a function error until it succeeds, backing off between tries', async () => {
    const h = harness({}, (_, call) => (call <= 2 ? boom : ok));

    const result = await processBatch(sourceRecords(3), h.deps);

    expect(result).toMatchObject({ committable: true, invocations: 3, delivered: 3 });
    expect(h.calls).toEqual([
      [0, 1, 2],
      [0, 1, 2],
      [0, 1, 2],
    ]);
    expect(h.retriesAskedFor).toEqual([1, 2]);
    expect(h.delays).toEqual([100, 200]);
    expect(h.logs.map((l) => l.outcome)).toEqual(['error Error: boom', 'error Error: boom', 'ok']);
  });

  it('makes maximumRetryAttempts + 1 invocations, then sends the records to the Kafka destination', async () => {
    const h = harness({ maximumRetryAttempts: 2, onFailure: dlq }, () => boom);
    const records = sourceRecords(3, 5);

    const result = await processBatch(records, h.deps);

    expect(result).toEqual({
      committable: true,
      invocations: 3,
      delivered: 0,
      failedToDestination: 3,
      discarded: 0,
    });
    expect(h.delays).toEqual([100, 200]);
    expect(h.sent).toEqual([
      {
        records,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
        error: { errorType: 'Error', errorMessage: boom.errorMessage },
      },
    ]);
    expect(h.logs.at(-1)?.outcome).toBe('RetryAttemptsExhausted: sent to kafka://users_created_dlq');
  });

  it('gives up after the first invocation with maximumRetryAttempts 0', async () => {
    const h = harness({ maximumRetryAttempts: 0, onFailure: dlq }, () => boom);

    const result = await processBatch(sourceRecords(2), h.deps);

    expect(result.invocations).toBe(1);
    expect(h.delays).toEqual([]);
    expect(h.sent.map((f) => [f.condition, f.approximateInvokeCount])).toEqual([
      ['RetryAttemptsExhausted', 1],
    ]);
  });

  it('discards the records after their last retry when there is no destination, and still commits', async () => {
    const h = harness({ maximumRetryAttempts: 1 }, () => boom);

    const result = await processBatch(sourceRecords(2), h.deps);

    expect(result).toEqual({
      committable: true,
      invocations: 2,
      delivered: 0,
      failedToDestination: 0,
      discarded: 2,
    });
    expect(h.sent).toEqual([]);
    expect(h.logs.at(-1)).toMatchObject({
      size: 2,
      outcome: 'RetryAttemptsExhausted: DISCARDED (no on-failure destination)',
    });
  });

  it('discards the records with a log line naming an ARN destination, which is not emulated', async () => {
    const arn = 'arn:aws:sqs:eu-west-1:123456789012:dlq';
    const h = harness({ maximumRetryAttempts: 0, onFailure: { kind: 'arn', arn } }, () => boom);

    const result = await processBatch(sourceRecords(1), h.deps);

    expect(result.discarded).toBe(1);
    expect(h.sent).toEqual([]);
    expect(h.logs.at(-1)?.outcome).toBe(
      `RetryAttemptsExhausted: DISCARDED (destination ${arn} is not emulated)`,
    );
  });

  it('keeps retrying with maximumRetryAttempts -1 until shutdown, then leaves the batch uncommitted', async () => {
    const h = harness({ maximumRetryAttempts: -1, onFailure: dlq }, () => boom, { stopAfter: 6 });

    const result = await processBatch(sourceRecords(2), h.deps);

    expect(result).toEqual({
      committable: false,
      invocations: 6,
      delivered: 0,
      failedToDestination: 0,
      discarded: 0,
    });
    expect(h.sent).toEqual([]);
    expect(h.retriesAskedFor).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('makes no invocation at all once shutdown has begun', async () => {
    const h = harness({}, () => ok, { stopAfter: 0 });

    const result = await processBatch(sourceRecords(2), h.deps);

    expect(result.committable).toBe(false);
    expect(h.calls).toEqual([]);
  });

  it('bisects down to the poison record, delivers the others and sends only it to the destination', async () => {
    const poison = 5;
    const h = harness(
      { maximumRetryAttempts: 1, bisectBatchOnFunctionError: true, onFailure: dlq },
      (records) => (offsets(records).includes(poison) ? boom : ok),
    );

    const result = await processBatch(sourceRecords(8), h.deps);

    expect(h.calls).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7],
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [4, 5],
      [4],
      [5],
      [5],
      [6, 7],
    ]);
    expect(result).toEqual({
      committable: true,
      invocations: 8,
      delivered: 7,
      failedToDestination: 1,
      discarded: 0,
    });
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0]).toMatchObject({ condition: 'RetryAttemptsExhausted', approximateInvokeCount: 2 });
    expect(offsets(h.sent[0]?.records ?? [])).toEqual([poison]);
    // Splitting is immediate; only the poison record's own retry waits.
    expect(h.delays).toEqual([100]);
    // Each line says how it ended, how many times its records had been tried, and how deep the split went.
    expect(
      h.logs.map((l) => [l.result, l.size, l.failedRecords, l.retries, l.bisections, l.condition]),
    ).toEqual([
      ['failed', 8, 8, 0, 0, undefined],
      ['ok', 4, 0, 0, 1, undefined],
      ['failed', 4, 4, 0, 1, undefined],
      ['failed', 2, 2, 0, 2, undefined],
      ['ok', 1, 0, 0, 3, undefined],
      ['failed', 1, 1, 0, 3, undefined],
      ['failed', 1, 1, 1, 3, undefined],
      ['sent-to-destination', 1, 0, 1, 3, 'RetryAttemptsExhausted'],
      ['ok', 2, 0, 0, 2, undefined],
    ]);
  });

  it('does not spend retries on bisecting: with no retries the good records are still delivered', async () => {
    const h = harness({ maximumRetryAttempts: 0, bisectBatchOnFunctionError: true }, (records) =>
      offsets(records).includes(2) ? boom : ok,
    );

    const result = await processBatch(sourceRecords(4), h.deps);

    expect(h.calls).toEqual([[0, 1, 2, 3], [0, 1], [2, 3], [2], [3]]);
    expect(result).toMatchObject({ committable: true, delivered: 3, discarded: 1 });
    expect(h.logs.at(-2)).toMatchObject({
      firstOffset: 2,
      lastOffset: 2,
      outcome: expect.stringContaining('DISCARDED'),
    });
  });

  it('retries only the records a partial batch response names', async () => {
    const h = harness({ reportBatchItemFailures: true }, (_, call) =>
      call === 1 ? partialFailure(13, 11) : ok,
    );

    const result = await processBatch(sourceRecords(4, 10), h.deps);

    expect(h.calls).toEqual([
      [10, 11, 12, 13],
      [11, 13],
    ]);
    expect(result).toEqual({
      committable: true,
      invocations: 2,
      delivered: 4,
      failedToDestination: 0,
      discarded: 0,
    });
    expect(h.delays).toEqual([100]);
    expect(h.logs.map((l) => l.outcome)).toEqual(['partial: 2 of 4 failed', 'ok']);
    expect(h.logs.map((l) => [l.result, l.size, l.failedRecords, l.retries, l.startedAt])).toEqual([
      ['partial', 4, 2, 0, baseTimestamp + 1_000],
      // After the first call (10 ms) and the backoff (100 ms).
      ['ok', 2, 0, 1, baseTimestamp + 1_110],
    ]);
  });

  it('sends records that keep failing in partial responses to the destination with their invoke count', async () => {
    const h = harness({ reportBatchItemFailures: true, maximumRetryAttempts: 1, onFailure: dlq }, () =>
      partialFailure(12),
    );

    const result = await processBatch(sourceRecords(3, 10), h.deps);

    expect(h.calls).toEqual([[10, 11, 12], [12]]);
    expect(result).toMatchObject({ delivered: 2, failedToDestination: 1 });
    expect(h.sent[0]).toMatchObject({
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 2,
      error: { errorType: 'BatchItemFailure', errorMessage: '1 records reported failed' },
    });
    expect(offsets(h.sent[0]?.records ?? [])).toEqual([12]);
  });

  it('ignores a partial response when ReportBatchItemFailures is off', async () => {
    const h = harness({ reportBatchItemFailures: false }, () => partialFailure(10));

    const result = await processBatch(sourceRecords(2, 10), h.deps);

    expect(result).toMatchObject({ invocations: 1, delivered: 2 });
  });

  it('treats an invalid partial response as a failure of the whole batch', async () => {
    const h = harness({ reportBatchItemFailures: true }, (_, call) => (call === 1 ? partialFailure(99) : ok));

    const result = await processBatch(sourceRecords(3, 10), h.deps);

    expect(h.calls).toEqual([
      [10, 11, 12],
      [10, 11, 12],
    ]);
    expect(result).toMatchObject({ invocations: 2, delivered: 3 });
    expect(h.logs[0]?.outcome).toBe(
      'invalid response (batchItemFailures[0] names users_created-0@99, which is not in the batch): whole batch failed',
    );
  });

  it('does not bisect on an invalid partial response, which is not a function error', async () => {
    const h = harness(
      {
        reportBatchItemFailures: true,
        bisectBatchOnFunctionError: true,
        maximumRetryAttempts: 0,
        onFailure: dlq,
      },
      () => ({ ok: true, payload: { batchItemFailures: 'all' } }),
    );

    await processBatch(sourceRecords(4), h.deps);

    expect(h.calls).toEqual([[0, 1, 2, 3]]);
    expect(h.sent[0]?.error?.errorType).toBe('InvalidBatchItemFailures');
  });

  it('sends records older than the maximum record age to the destination without invoking them', async () => {
    const stale = sourceRecords(2, 0, { timestamp: baseTimestamp });
    const fresh = sourceRecords(2, 2, { timestamp: baseTimestamp + 100_000 });
    const h = harness({ maximumRecordAgeMs: 60_000, onFailure: dlq }, () => ok, {
      startAt: baseTimestamp + 120_000,
    });

    const result = await processBatch([...stale, ...fresh], h.deps);

    expect(h.calls).toEqual([[2, 3]]);
    expect(h.sent).toEqual([{ records: stale, condition: 'RecordAgeExceeded', approximateInvokeCount: 0 }]);
    expect(result).toEqual({
      committable: true,
      invocations: 1,
      delivered: 2,
      failedToDestination: 2,
      discarded: 0,
    });
  });

  it('makes no invocation when every record is too old', async () => {
    const h = harness({ maximumRecordAgeMs: 60_000 }, () => ok, { startAt: baseTimestamp + 60_001 });

    const result = await processBatch(sourceRecords(2), h.deps);

    expect(h.calls).toEqual([]);
    expect(result).toMatchObject({ committable: true, invocations: 0, discarded: 2 });
    expect(h.logs[0]?.outcome).toBe('RecordAgeExceeded: DISCARDED (no on-failure destination)');
  });

  it('keeps a record exactly as old as the limit', async () => {
    const h = harness({ maximumRecordAgeMs: 60_000 }, () => ok, { startAt: baseTimestamp + 60_000 });

    const result = await processBatch(sourceRecords(1), h.deps);

    expect(result).toMatchObject({ invocations: 1, delivered: 1, discarded: 0 });
  });

  it('hands on records that grow too old while being retried, with their invoke count and last error', async () => {
    const h = harness({ maximumRecordAgeMs: 60_000, onFailure: dlq }, () => boom, {
      startAt: baseTimestamp + 59_950,
    });

    const result = await processBatch(sourceRecords(2), h.deps);

    // The invocation (10 ms) and the first backoff (100 ms) take the records past the 60 s age limit.
    expect(h.calls).toEqual([[0, 1]]);
    expect(h.sent).toEqual([
      {
        records: sourceRecords(2),
        condition: 'RecordAgeExceeded',
        approximateInvokeCount: 1,
        error: { errorType: 'Error', errorMessage: boom.errorMessage },
      },
    ]);
    expect(result).toMatchObject({ committable: true, invocations: 1, failedToDestination: 2 });
  });
});

describe('formatLog', () => {
  const entry: InvocationLog = {
    functionKey: 'sinkUsers',
    partitions: ['users_created-0'],
    partition: 0,
    size: 100,
    firstOffset: 10,
    lastOffset: 109,
    startedAt: baseTimestamp,
    durationMs: 84.4,
    result: 'ok',
    failedRecords: 0,
    retries: 0,
    bisections: 0,
    outcome: 'ok',
  };

  it('prints the function, partitions, size, offset range, duration and outcome', () => {
    expect(formatLog(entry)).toBe('sinkUsers users_created-0 100 records @10..109 in 84 ms: ok');
  });

  it('prints one offset and "record" for a single record', () => {
    expect(formatLog({ ...entry, size: 1, firstOffset: 7, lastOffset: 7, durationMs: 0, outcome: 'x' })).toBe(
      'sinkUsers users_created-0 1 record @7 in 0 ms: x',
    );
  });

  it('joins several partitions with commas', () => {
    expect(formatLog({ ...entry, partitions: ['t-0', 't-1'] })).toContain(' t-0,t-1 100 records ');
  });
});
