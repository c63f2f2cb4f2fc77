import { describe, expect, it } from 'vitest';
import type { InvocationLog } from './batch.ts';
import { MappingStats, offsetLag } from './stats.ts';

const at = Date.parse('2025-01-02T03:04:05.000Z');

function entry(overrides: Partial<InvocationLog>): InvocationLog {
  return {
    functionKey: 'sink-users',
    partitions: ['users_created-2'],
    partition: 2,
    size: 10,
    firstOffset: 100,
    lastOffset: 109,
    startedAt: at,
    durationMs: 12.6,
    result: 'ok',
    failedRecords: 0,
    retries: 0,
    bisections: 0,
    outcome: 'ok',
    ...overrides,
  };
}

const allGroups = ['EventCount', 'ErrorCount', 'KafkaMetrics'] as const;

describe('MappingStats', () => {
  it('counts as AWS counts: records polled and filtered out, invoked per invocation, failed, dropped and sent on', () => {
    const stats = new MappingStats(allGroups);

    stats.polled(12, 2);
    stats.record(entry({ result: 'failed', failedRecords: 10, outcome: 'error Error: boom' }));
    stats.record(
      entry({ result: 'partial', failedRecords: 3, retries: 1, outcome: 'partial: 3 of 10 failed' }),
    );
    stats.record(entry({ size: 3, result: 'ok', retries: 2 }));
    stats.record(
      entry({ size: 1, result: 'sent-to-destination', condition: 'RecordAgeExceeded', durationMs: 0 }),
    );
    stats.record(entry({ size: 2, result: 'discarded', condition: 'RetryAttemptsExhausted', durationMs: 0 }));

    stats.committed(12);
    stats.error('CommitErrorCount');
    stats.error('PollingErrorCount');
    stats.error('PollingErrorCount');

    expect(stats.snapshot({ sum: 7, max: 4 })).toMatchObject({
      metricsConfig: ['EventCount', 'ErrorCount', 'KafkaMetrics'],
      metrics: {
        PolledEventCount: 12,
        InvokedEventCount: 23,
        FilteredOutEventCount: 2,
        FailedInvokeEventCount: 13,
        DroppedEventCount: 2,
        OnFailureDestinationDeliveredEventCount: 1,
        CommittedEventCount: 12,
        PollingErrorCount: 2,
        // Per failed invocation, not per record.
        InvokeErrorCount: 1,
        OnFailureDestinationDeliveryErrorCount: 0,
        SchemaRegistryErrorCount: 0,
        CommitErrorCount: 1,
        MaxOffsetLag: 4,
        SumOffsetLag: 7,
      },
    });
  });

  it('publishes only the groups metricsConfig lists, and nothing without one, as AWS does', () => {
    const counted = (groups: ReadonlyArray<(typeof allGroups)[number]>) => {
      const stats = new MappingStats(groups);
      stats.polled(3, 0);
      return Object.keys(stats.snapshot({ sum: 1, max: 1 }).metrics);
    };

    expect(counted(['EventCount'])).toEqual([
      'PolledEventCount',
      'FilteredOutEventCount',
      'InvokedEventCount',
      'FailedInvokeEventCount',
      'DroppedEventCount',
      'OnFailureDestinationDeliveredEventCount',
      'CommittedEventCount',
    ]);
    expect(counted(['KafkaMetrics', 'ErrorCount'])).toEqual([
      'MaxOffsetLag',
      'SumOffsetLag',
      'PollingErrorCount',
      'InvokeErrorCount',
      'OnFailureDestinationDeliveryErrorCount',
      'SchemaRegistryErrorCount',
      'CommitErrorCount',
    ]);
    expect(counted([])).toEqual([]);
  });

  it('lists the invocations newest first, with offsets as strings and dropped records marked failed', () => {
    const stats = new MappingStats();

    stats.record(entry({}));
    stats.record(
      entry({
        startedAt: at + 1000,
        size: 1,
        firstOffset: 105,
        lastOffset: 105,
        result: 'discarded',
        condition: 'RetryAttemptsExhausted',
        bisections: 3,
        retries: 1,
        durationMs: 0,
        outcome: 'RetryAttemptsExhausted: DISCARDED (no on-failure destination)',
      }),
    );

    expect(stats.snapshot(null).invocations).toEqual([
      {
        at: '2025-01-02T03:04:06.000Z',
        partition: 2,
        records: 1,
        firstOffset: '105',
        lastOffset: '105',
        durationMs: 0,
        outcome: 'failed',
        retries: 1,
        bisections: 3,
        condition: 'RetryAttemptsExhausted',
        dropped: true,
        detail: 'RetryAttemptsExhausted: DISCARDED (no on-failure destination)',
      },
      {
        at: '2025-01-02T03:04:05.000Z',
        partition: 2,
        records: 10,
        firstOffset: '100',
        lastOffset: '109',
        durationMs: 13,
        outcome: 'ok',
        retries: 0,
        bisections: 0,
        detail: 'ok',
      },
    ]);
  });

  it('keeps only the newest invocations', () => {
    const stats = new MappingStats(allGroups, 3);

    for (let i = 0; i < 5; i++) stats.record(entry({ firstOffset: i, lastOffset: i, size: 1 }));

    expect(stats.snapshot({ sum: 0, max: 0 }).invocations.map((e) => e.firstOffset)).toEqual(['4', '3', '2']);
    expect(stats.snapshot({ sum: 0, max: 0 }).metrics.InvokedEventCount).toBe(5);
  });

  it('reports the last processing result as AWS words it', () => {
    const stats = new MappingStats();
    const results: string[] = [stats.lastProcessingResult()];

    stats.record(entry({ result: 'failed', failedRecords: 10 }));
    results.push(stats.lastProcessingResult());
    stats.record(entry({ result: 'sent-to-destination' }));
    results.push(stats.lastProcessingResult());
    stats.record(entry({ result: 'partial', failedRecords: 1 }));
    results.push(stats.lastProcessingResult());

    expect(results).toEqual([
      'No records processed',
      'PROBLEM: Function call failed',
      'PROBLEM: Function call failed',
      'OK',
    ]);
  });
});

describe('offsetLag', () => {
  it('sums, over the partitions, the records after the committed offset, and takes the largest', () => {
    expect(
      offsetLag(
        [
          { partition: 0, low: 0, high: 100, committed: 90 },
          { partition: 1, low: 0, high: 50, committed: 50 },
          // Retention removed records the group never read: they are no longer lag.
          { partition: 2, low: 40, high: 60, committed: 10 },
        ],
        'TRIM_HORIZON',
      ),
    ).toEqual({ sum: 30, max: 20 });
  });

  it('counts a partition never committed from where the starting position begins', () => {
    const partitions = [{ partition: 0, low: 5, high: 25, committed: -1 }];

    expect(offsetLag(partitions, 'TRIM_HORIZON').sum).toBe(20);
    expect(offsetLag(partitions, 'AT_TIMESTAMP').sum).toBe(20);
    expect(offsetLag(partitions, 'LATEST').sum).toBe(0);
  });
});
