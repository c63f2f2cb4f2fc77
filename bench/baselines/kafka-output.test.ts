import { describe, expect, it } from 'vitest';
import {
  consumerPerformanceArgs,
  kafkaToolJvmArgs,
  parseConsumerPerformance,
  parseProducerPerformance,
  producerPerformanceArgs,
  tailLines,
} from './kafka-output.ts';

// Captured from Kafka 4.3.1's tools against the local stack's broker (6 partitions, 1000-byte records).
const producerRun = [
  '12353 records sent, 2453.9 records/sec (2.34 MB/sec), 644.6 ms avg latency, 2615.0 ms max latency.',
  '50000 records sent, 5475.851495 records/sec (5.22 MB/sec), 1864.13 ms avg latency, 2947.00 ms max latency, ' +
    '2109 ms 50th, 2822 ms 95th, 2903 ms 99th, 2942 ms 99.9th.',
  '',
].join('\n');

const producerWarmupRun = [
  'Warmup first 3000 records. Steady state results will print after the complete test summary.',
  '30000 records sent, 3615.328995 records/sec (3.45 MB/sec), 886.01 ms avg latency, 2864.00 ms max latency, ' +
    '950 ms 50th, 1340 ms 95th, 1434 ms 99th, 1513 ms 99.9th.',
  '27000 steady state records sent, 5215.375700 records/sec (4.97 MB/sec), 936.78 ms avg latency, ' +
    '1514.00 ms max latency, 992 ms 50th, 1342 ms 95th, 1434 ms 99th, 1513 ms 99.9th.',
  '',
].join('\n');

const consumerHeader =
  'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, ' +
  'fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec';

const consumerRun = [
  consumerHeader,
  '2026-11-24 07:33:49:426, 2026-11-24 07:33:54:275, 47.7982, 9.8573, 50120, 10336.1518, 1553, 3296, 14.5019, ' +
    '15206.3107',
  '',
].join('\n');

const consumerTimeout =
  'WARNING: Exiting before consuming the expected number of records: timeout (3000 ms) exceeded. You can use the --timeout option to increase the timeout.';

const consumerShortRun = [
  consumerHeader,
  consumerTimeout,
  '2026-11-24 07:34:11:312, 2026-11-24 07:34:18:910, 76.2939, 10.0413, 80000, 10529.0866, 1768, 5830, 13.0864, ' +
    '13722.1269',
  '',
].join('\n');

const consumerMissingTopicRun = [
  consumerHeader,
  consumerTimeout,
  '2026-11-24 07:34:22:726, 2026-11-24 07:34:25:741, 0.0000, 0.0000, 0, 0.0000, 1393, 1622, 0.0000, 0.0000',
  '',
].join('\n');

describe('parseProducerPerformance', () => {
  it('reads the final summary and skips the progress lines', () => {
    // Act
    const summary = parseProducerPerformance(producerRun);

    // Assert
    expect(summary).toEqual({
      total: {
        records: 50000,
        recordsPerSecond: 5475.851495,
        megabytesPerSecond: 5.22,
        avgLatencyMs: 1864.13,
        maxLatencyMs: 2947,
        p50Ms: 2109,
        p95Ms: 2822,
        p99Ms: 2903,
        p999Ms: 2942,
      },
    });
  });

  it('reads the steady-state summary of a run with warm-up records', () => {
    // Act
    const summary = parseProducerPerformance(producerWarmupRun);

    // Assert
    expect(summary?.total.records).toBe(30000);
    expect(summary?.total.recordsPerSecond).toBe(3615.328995);
    expect(summary?.steadyState).toEqual({
      records: 27000,
      recordsPerSecond: 5215.3757,
      megabytesPerSecond: 4.97,
      avgLatencyMs: 936.78,
      maxLatencyMs: 1514,
      p50Ms: 992,
      p95Ms: 1342,
      p99Ms: 1434,
      p999Ms: 1513,
    });
  });

  it('accepts Windows line endings', () => {
    // Act
    const summary = parseProducerPerformance(producerRun.replaceAll('\n', '\r\n'));

    // Assert
    expect(summary?.total.records).toBe(50000);
  });

  it.each([
    ['no output', ''],
    ['only progress lines', producerRun.split('\n')[0] ?? ''],
    [
      'a stack trace',
      'org.apache.kafka.common.errors.TimeoutException: Topic t not present in metadata after 60000 ms.',
    ],
    [
      'a comma as the decimal separator',
      '50000 records sent, 5475,851495 records/sec (5,22 MB/sec), 1864,13 ms avg latency, 2947,00 ms max ' +
        'latency, 2109 ms 50th, 2822 ms 95th, 2903 ms 99th, 2942 ms 99.9th.',
    ],
  ])('returns undefined for %s', (_, stdout) => {
    // Act
    const summary = parseProducerPerformance(stdout);

    // Assert
    expect(summary).toBeUndefined();
  });
});

describe('parseConsumerPerformance', () => {
  it('reads the summary row by column name', () => {
    // Act
    const summary = parseConsumerPerformance(consumerRun);

    // Assert
    expect(summary).toEqual({
      startTime: '2026-11-24 07:33:49:426',
      endTime: '2026-11-24 07:33:54:275',
      megabytes: 47.7982,
      megabytesPerSecond: 9.8573,
      records: 50120,
      recordsPerSecond: 10336.1518,
      rebalanceMs: 1553,
      fetchMs: 3296,
      fetchMegabytesPerSecond: 14.5019,
      fetchRecordsPerSecond: 15206.3107,
      timedOut: false,
    });
  });

  it('flags a run that stopped on its idle timeout', () => {
    // Act
    const summary = parseConsumerPerformance(consumerShortRun);

    // Assert
    expect(summary?.timedOut).toBe(true);
    expect(summary?.records).toBe(80000);
    expect(summary?.fetchMs).toBe(5830);
  });

  it('reads a run on an empty or missing topic as zero records, timed out', () => {
    // Act
    const summary = parseConsumerPerformance(consumerMissingTopicRun);

    // Assert
    expect(summary).toMatchObject({ records: 0, recordsPerSecond: 0, timedOut: true });
  });

  it('parses a tool without the fetch columns', () => {
    // Arrange
    const stdout = [
      'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec',
      '2026-11-24 07:33:49:426, 2026-11-24 07:33:54:275, 47.7982, 9.8573, 50120, 10336.1518',
    ].join('\n');

    // Act
    const summary = parseConsumerPerformance(stdout);

    // Assert
    expect(summary).toMatchObject({ records: 50120, recordsPerSecond: 10336.1518, timedOut: false });
    expect(summary?.fetchRecordsPerSecond).toBeUndefined();
    expect(summary?.rebalanceMs).toBeUndefined();
  });

  it.each([
    ['no output', ''],
    ['a header only', `${consumerHeader}\n`],
    ['a row without a header', consumerRun.split('\n')[1] ?? ''],
    [
      'a row with a field too few',
      `${consumerHeader}\n2026-11-24 07:33:49:426, 47.7982, 9.8573, 50120, 1, 2, 3, 4, 5`,
    ],
    [
      'a required value that is not a number',
      `${consumerHeader}\n2026-11-24 07:33:49:426, 2026-11-24 07:33:54:275, x, 9.8573, 50120, NaN, 1, 2, 3, 4`,
    ],
  ])('returns undefined for %s', (_, stdout) => {
    // Act
    const summary = parseConsumerPerformance(stdout);

    // Assert
    expect(summary).toBeUndefined();
  });
});

describe('producerPerformanceArgs', () => {
  it('runs unthrottled with the properties given', () => {
    // Act
    const args = producerPerformanceArgs({
      topic: 't',
      records: 1000,
      recordBytes: 512,
      bootstrap: '127.0.0.1:9092',
      props: { acks: 'all', 'linger.ms': 5 },
      warmupRecords: 0,
    });

    // Assert
    expect(args).toEqual([
      '--bootstrap-server',
      '127.0.0.1:9092',
      '--topic',
      't',
      '--num-records',
      '1000',
      '--record-size',
      '512',
      '--throughput',
      '-1',
      '--command-property',
      'acks=all',
      'linger.ms=5',
    ]);
  });

  it('passes warm-up records when there are any', () => {
    // Act
    const args = producerPerformanceArgs({
      topic: 't',
      records: 1000,
      recordBytes: 512,
      bootstrap: 'a:9092,b:9092',
      props: {},
      warmupRecords: 100,
    });

    // Assert
    expect(args).toContain('--warmup-records');
    expect(args[args.indexOf('--warmup-records') + 1]).toBe('100');
    expect(args).not.toContain('--command-property');
  });
});

describe('consumerPerformanceArgs', () => {
  it('reads under its own group with an idle timeout', () => {
    // Act
    const args = consumerPerformanceArgs({
      topic: 't',
      records: 5000,
      bootstrap: '127.0.0.1:9092',
      group: 'g1',
      idleTimeoutMs: 10000,
      props: {},
    });

    // Assert
    expect(args).toEqual([
      '--bootstrap-server',
      '127.0.0.1:9092',
      '--topic',
      't',
      '--num-records',
      '5000',
      '--group',
      'g1',
      '--timeout',
      '10000',
    ]);
  });

  it('passes consumer properties', () => {
    // Act
    const args = consumerPerformanceArgs({
      topic: 't',
      records: 1,
      bootstrap: 'b:9092',
      group: 'g',
      idleTimeoutMs: 1,
      props: { 'fetch.min.bytes': 1 },
    });

    // Assert
    expect(args.slice(-2)).toEqual(['--command-property', 'fetch.min.bytes=1']);
  });
});

describe('kafkaToolJvmArgs', () => {
  it('sets the heap and an English locale for the number format', () => {
    // Act
    const args = kafkaToolJvmArgs('256m');

    // Assert
    expect(args).toContain('-Xmx256m');
    expect(args).toContain('-Duser.language=en');
  });
});

describe('tailLines', () => {
  it('keeps the last non-empty lines', () => {
    // Act
    const tail = tailLines('a\n\nb\nc\n\n', 2);

    // Assert
    expect(tail).toBe('b\nc');
  });
});
