/**
 * The offline-kafka plugin under a real `sls offline start`, against the real Kafka broker. The service in
 * test/fixtures/offline-kafka-service has one probe handler that logs every event it receives and fails on
 * demand; each function below tests one part of the event source: the event's shape and partial batch
 * responses, bisect plus the on-failure destination, AT_TIMESTAMP, and filters plus maximum record age on
 * an `msk` event. Every run has its own topics and consumer groups' offsets are read back from Kafka.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  KafkaMskEventSchema,
  KafkaSelfManagedEventSchema,
} from '@aws-lambda-powertools/parser/schemas/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKafkaEvent } from '../../functions/lib/kafka-event.ts';
import { failureHeaders } from '../../infra/offline-kafka/destination.ts';
import type { Kafka } from '../../lib/kafkajs.ts';
import { repoRoot } from '../../lib/paths.ts';
import { readAll } from '../helpers/kafka-events.ts';
import {
  committedOffsets,
  type ProbeFunction,
  portsFreed,
  prepareProbeRun,
  probeEntries,
  probeFunctionName,
  probeRun,
  probeServiceDir,
  sendProbeRecords,
} from '../helpers/offline-kafka-probe.ts';
import { type GroupProcess, startGroup } from '../helpers/process.ts';
import { eventually, kafkaClient, stackConfig } from '../helpers/stack.ts';

const now = Date.now();
/** AT_TIMESTAMP starts here: records stamped before it must not come back. */
const replayFrom = now - 10 * 60_000;
const run = probeRun(
  'okafka',
  { http: 3210, ws: 3211, lambda: 3212, control: 3213 },
  Math.floor(replayFrom / 1000),
);
const { topics, ports } = run;

let kafka: Kafka;
let offline: GroupProcess;

const entries = (fn: ProbeFunction) => probeEntries(run, fn);
const committed = (fn: ProbeFunction, topic: string) => committedOffsets(kafka, fn, topic);
const send = (topic: string, messages: Parameters<typeof sendProbeRecords>[2]) =>
  sendProbeRecords(kafka, topic, messages);

beforeAll(async () => {
  kafka = kafkaClient();
  await prepareProbeRun(run);
  // Before the event source starts, so AT_TIMESTAMP has history to choose from.
  await send(
    topics.timestamp,
    Array.from({ length: 12 }, (_, i) => ({
      key: `k${i}`,
      value: JSON.stringify({ n: i }),
      timestamp: i < 6 ? now - 30 * 60_000 + i : now - 5 * 60_000 + i,
    })),
  );

  offline = startGroup(join(repoRoot, 'node_modules', '.bin', 'sls'), ['offline', 'start'], {
    cwd: probeServiceDir,
    env: run.env,
  });
  await eventually(
    'the five event sources to consume',
    async () =>
      (offline.output().match(/offline-kafka: \w+: consuming /g)?.length ?? 0) >= 5 ? true : undefined,
    120_000,
  );
}, 180_000);

afterAll(async () => {
  const code = await offline?.interrupt();
  expect(code).toBe(0);
  await portsFreed(ports);
});

describe('offline-kafka on sls package', () => {
  it('compiles the options osls lacks into the EventSourceMappings and prints the lint', async () => {
    const dir = join(repoRoot, '.local', `${run.name}-package`);
    const pack = startGroup(join(repoRoot, 'node_modules', '.bin', 'sls'), ['package', '--package', dir], {
      cwd: probeServiceDir,
      env: run.env,
    });

    const code = await pack.exited;
    const template = JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
    const mappings = Object.values<{ Type: string; Properties: Record<string, unknown> }>(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping')
      .map((r) => r.Properties);
    const byTopic = (topic: string) =>
      mappings.find((m) => JSON.stringify(m.Topics) === JSON.stringify([topic]));

    expect(code, pack.output()).toBe(0);
    expect(byTopic(topics.partial)).toMatchObject({
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 5,
      BatchSize: 10,
    });
    expect(byTopic(topics.bisect)).toMatchObject({
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 1,
      DestinationConfig: { OnFailure: { Destination: `kafka://${topics.failed}` } },
    });
    expect(byTopic(topics.filter)).toMatchObject({
      MaximumRecordAgeInSeconds: 60,
      DestinationConfig: { OnFailure: { Destination: `kafka://${topics.failed}` } },
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ value: { kind: ['keep'] } }) }] },
    });
    expect(byTopic(topics.timestamp)).not.toHaveProperty('MaximumRetryAttempts');
    // osls drops a window of 0; provisioned mode's low-latency setting must reach AWS all the same.
    expect(byTopic(topics.pollers)).toMatchObject({
      MaximumBatchingWindowInSeconds: 0,
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 1 },
      LoggingConfig: { SystemLogLevel: 'INFO' },
      MetricsConfig: { Metrics: ['KafkaMetrics'] },
    });
    expect(pack.output()).toContain(
      'functions.partial.events[0].kafka: maximumRetryAttempts 5 with no onFailureDestination discards records after their last retry',
    );
  });
});

describe('offline-kafka under sls offline start', () => {
  it('delivers AWS-shaped events with the real partition, offset, timestamp and headers, and retries only the records a partial batch response names', async () => {
    const values = Array.from({ length: 10 }, (_, i) =>
      JSON.stringify(i === 3 || i === 7 ? { n: i, fail: 'partial', times: 1 } : { n: i }),
    );
    const stamp = now - 1000;
    const meta = await send(
      topics.partial,
      values.map((value, i) => ({
        key: `user-${i}`,
        value,
        timestamp: stamp + i,
        headers: { 'batch-id': `b${i}`, ünï: 'ø' },
      })),
    );
    const base = Number(meta[0]?.baseOffset);

    await eventually('the partial function to commit all ten', async () =>
      (await committed('partial', topics.partial)).get(0) === base + 10 ? true : undefined,
    );
    const log = entries('partial');
    const deliveries = log.flatMap((e) => e.ids);
    const first = log[0];
    if (!first) throw new Error('no invocation');
    const event = parseKafkaEvent(first.event);
    const powertools = KafkaSelfManagedEventSchema.parse(first.event);
    const records = event.records[`${topics.partial}-0`] ?? [];
    const second = log.find((e) => e.ids.length === 2);

    // Each record once, except the two reported failed, which came back once more, alone.
    expect(deliveries.filter((id) => id === `${topics.partial}-0@${base + 3}`)).toHaveLength(2);
    expect(deliveries.filter((id) => id === `${topics.partial}-0@${base + 7}`)).toHaveLength(2);
    expect(new Set(deliveries).size).toBe(10);
    expect(deliveries).toHaveLength(12);
    expect(second?.ids).toEqual([`${topics.partial}-0@${base + 3}`, `${topics.partial}-0@${base + 7}`]);
    // The event itself, as AWS builds it.
    expect(event.eventSource).toBe('SelfManagedKafka');
    expect(event.bootstrapServers).toBe(`${stackConfig().kafka.host}:${stackConfig().kafka.port}`);
    expect(Object.keys(event.records)).toEqual([`${topics.partial}-0`]);
    expect(records[0]).toMatchObject({
      topic: topics.partial,
      partition: 0,
      offset: base,
      timestamp: stamp,
      timestampType: 'CREATE_TIME',
      key: Buffer.from('user-0').toString('base64'),
      value: Buffer.from(values[0] ?? '').toString('base64'),
    });
    expect(records[0]?.headers).toEqual([
      { 'batch-id': [...Buffer.from('b0')] },
      { ünï: [...Buffer.from('ø')] },
    ]);
    expect(Object.values(powertools.records).flat()[0]?.key).toBe('user-0');
  });

  it('bisects a failing batch down to the poison record, delivers its neighbours, and sends it to the on-failure topic with its bytes and the failure metadata', async () => {
    const values = Array.from({ length: 8 }, (_, i) =>
      JSON.stringify(i === 5 ? { n: i, fail: 'throw' } : { n: i }),
    );
    const meta = await send(
      topics.bisect,
      values.map((value, i) => ({ key: `k${i}`, value, headers: { origin: `o${i}` } })),
    );
    const base = Number(meta[0]?.baseOffset);
    const poison = `${topics.bisect}-0@${base + 5}`;

    await eventually('the bisect function to commit all eight', async () =>
      (await committed('bisect', topics.bisect)).get(0) === base + 8 ? true : undefined,
    );
    const failed = (await readAll(kafka, topics.failed)).filter(
      (r) => r.headers[failureHeaders.source]?.toString() === poison,
    );
    const succeeded = new Set(
      entries('bisect')
        .filter((e) => !e.poison)
        .flatMap((e) => e.ids),
    );
    const poisonAttempts = entries('bisect').filter((e) => e.ids.length === 1 && e.ids[0] === poison);
    const byStart = [...entries('bisect')].sort((a, b) => a.started - b.started);
    const overlaps = byStart.filter((e, i) => i > 0 && e.started < (byStart[i - 1]?.ended ?? 0));

    expect(succeeded).toEqual(
      new Set(
        Array.from({ length: 8 }, (_, i) => `${topics.bisect}-0@${base + i}`).filter((id) => id !== poison),
      ),
    );
    // One partition: never two invocations at once.
    expect(byStart.length).toBeGreaterThan(3);
    expect(overlaps).toEqual([]);
    // Alone at last: tried once, retried once (maximumRetryAttempts 1), then handed on.
    expect(poisonAttempts).toHaveLength(2);
    expect(failed).toHaveLength(1);
    const [record] = failed;
    expect(record?.key?.toString()).toBe('k5');
    expect(record?.value?.toString()).toBe(values[5]);
    expect(record?.headers.origin?.toString()).toBe('o5');
    expect(record?.headers[failureHeaders.condition]?.toString()).toBe('RetryAttemptsExhausted');
    expect(record?.headers[failureHeaders.invokeCount]?.toString()).toBe('2');
    expect(record?.headers[failureHeaders.errorMessage]?.toString()).toContain('asked to fail');
    const invocation = JSON.parse(record?.headers[failureHeaders.record]?.toString() ?? '{}');
    expect(invocation.requestContext).toMatchObject({
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 2,
    });
  });

  it('starts an AT_TIMESTAMP source at the first record stamped at or after the timestamp, in every partition', async () => {
    const all = await readAll(kafka, topics.timestamp);
    const wanted = all.filter((r) => r.timestamp >= Math.floor(replayFrom / 1000) * 1000);

    await eventually('the timestamp function to receive the recent records', async () =>
      new Set(entries('timestamp').flatMap((e) => e.ids)).size >= wanted.length ? true : undefined,
    );
    const got = new Set(entries('timestamp').flatMap((e) => e.ids));

    expect(wanted).toHaveLength(6);
    expect(got).toEqual(new Set(wanted.map((r) => `${r.topic}-${r.partition}@${r.offset}`)));
  });

  it('in provisioned mode with maximumPollers 1: one invocation at a time across three partitions, and system logs at INFO leave out each successful invocation', async () => {
    const perPartition = 10;
    await send(
      topics.pollers,
      Array.from({ length: 3 * perPartition }, (_, i) => ({
        key: `p${i}`,
        partition: i % 3,
        value: JSON.stringify({ n: i }),
      })),
    );

    await eventually('the pollers function to commit all thirty', async () => {
      const offsets = await committed('pollers', topics.pollers);
      return [0, 1, 2].every((p) => (offsets.get(p) ?? 0) >= perPartition) ? true : undefined;
    });
    const byStart = [...entries('pollers')].sort((a, b) => a.started - b.started);
    const overlaps = byStart.filter((e, i) => i > 0 && e.started < (byStart[i - 1]?.ended ?? 0));
    const partitions = new Set(byStart.flatMap((e) => e.ids.map((id) => id.split('@')[0])));
    const output = offline.output();

    // Three partitions' batches were ready together; one poller took them one after another.
    expect(partitions.size).toBe(3);
    expect(byStart.length).toBeGreaterThanOrEqual(6);
    expect(overlaps).toEqual([]);
    expect(output).toContain(
      `offline-kafka: pollers: consuming ${topics.pollers} as group ${probeFunctionName('pollers')} (batchSize 5, window 0 ms, at most 1 invocation at once)`,
    );
    // Each success is a DEBUG line: left out at INFO, printed for a function without loggingConfig.
    expect(output).not.toMatch(new RegExp(`pollers ${topics.pollers}-\\d+ \\d+ records? @[^\\n]*: ok`));
    expect(output).toMatch(new RegExp(`partial ${topics.partial}-0 \\d+ records? @[^\\n]*: ok`));
  });

  it('on an msk event: delivers only records matching the filter, sends records past the maximum age on without invoking, and commits past everything', async () => {
    const meta = await send(topics.filter, [
      { key: 'a', value: JSON.stringify({ kind: 'keep', n: 1 }) },
      { key: 'b', value: JSON.stringify({ kind: 'drop', n: 2 }) },
      { key: 'c', value: 'not json' },
      { key: 'd', value: JSON.stringify({ kind: 'keep', n: 4 }), timestamp: now - 10 * 60_000 },
      { key: 'e', value: JSON.stringify({ kind: 'keep', n: 5 }) },
    ]);
    const base = Number(meta[0]?.baseOffset);

    await eventually('the filtered function to commit all five', async () =>
      (await committed('filtered', topics.filter)).get(0) === base + 5 ? true : undefined,
    );
    const log = entries('filtered');
    const delivered = log.flatMap((e) => e.ids);
    const expired = (await readAll(kafka, topics.failed)).filter(
      (r) => r.headers[failureHeaders.source]?.toString() === `${topics.filter}-0@${base + 3}`,
    );
    const first = log[0];

    expect(delivered).toEqual([`${topics.filter}-0@${base}`, `${topics.filter}-0@${base + 4}`]);
    expect(expired).toHaveLength(1);
    expect(expired[0]?.headers[failureHeaders.condition]?.toString()).toBe('RecordAgeExceeded');
    expect(first && KafkaMskEventSchema.parse(first.event).eventSourceArn).toBe(
      'arn:aws:kafka:eu-west-1:123456789012:cluster/probe/abc',
    );
  });
});
