/**
 * Builders for the offline-kafka unit tests (infra/offline-kafka): records as the runner keeps them and
 * resolved event sources, with plain defaults that each test overrides where it matters.
 */
import type { SourceRecord } from '../../infra/offline-kafka/event.ts';
import type { EventSource } from '../../infra/offline-kafka/options.ts';

/** 2024-06-01T00:00:00.000Z, the default record timestamp. */
export const baseTimestamp = Date.UTC(2024, 5, 1);

/** A record of `users_created-0` at `offset`, with a JSON value and a text key. */
export function sourceRecord(overrides: Partial<SourceRecord> = {}): SourceRecord {
  const offset = overrides.offset ?? 0;
  return {
    topic: 'users_created',
    partition: 0,
    offset,
    timestamp: baseTimestamp,
    timestampType: 'CREATE_TIME',
    key: Buffer.from(`user-${offset}`),
    value: Buffer.from(JSON.stringify({ n: offset })),
    headers: [],
    ...overrides,
  };
}

/** Records at offsets `from` to `from + count - 1` of one partition. */
export function sourceRecords(
  count: number,
  from = 0,
  overrides: Partial<SourceRecord> = {},
): SourceRecord[] {
  return Array.from({ length: count }, (_, i) => sourceRecord({ ...overrides, offset: from + i }));
}

/** A resolved self-managed Kafka event source with AWS's defaults. */
export function eventSource(overrides: Partial<EventSource> = {}): EventSource {
  return {
    functionKey: 'sinkUsers',
    functionName: 'svc-local-sinkUsers',
    index: 0,
    type: 'kafka',
    eventSource: 'SelfManagedKafka',
    brokers: ['127.0.0.1:9092'],
    bootstrapServers: '127.0.0.1:9092',
    topic: 'users_created',
    consumerGroupId: 'svc-local-sinkUsers',
    batchSize: 100,
    maximumBatchingWindowMs: 500,
    startingPosition: 'TRIM_HORIZON',
    filterPatterns: [],
    enabled: true,
    maximumRetryAttempts: -1,
    bisectBatchOnFunctionError: false,
    reportBatchItemFailures: false,
    raw: { topic: 'users_created', bootstrapServers: ['127.0.0.1:9092'], maximumBatchingWindow: 1 },
    ...overrides,
  };
}
