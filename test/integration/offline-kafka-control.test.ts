/**
 * The offline-kafka plugin's event-source-mapping API under a real `sls offline start` of the probe service
 * (test/fixtures/offline-kafka-service), driven through `@aws-sdk/client-lambda` as a client of Lambda would
 * drive it, against the real Kafka broker: the mappings listed with AWS's fields, one disabled so that its
 * consumer leaves the group, its offsets reset while the group is empty, and enabled again to replay from
 * there; and the local stats counting what the runner did, bisections and the on-failure destination
 * included.
 */
import { join } from 'node:path';
import {
  GetEventSourceMappingCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mappingUuid } from '../../infra/offline-kafka/mapping.ts';
import type { LocalStats } from '../../infra/offline-kafka/stats.ts';
import type { Kafka } from '../../lib/kafkajs.ts';
import { repoRoot } from '../../lib/paths.ts';
import {
  committedOffsets,
  type ProbeFunction,
  portsFreed,
  prepareProbeRun,
  probe,
  probeEntries,
  probeFunctionName,
  probeRun,
  probeServiceDir,
  sendProbeRecords,
} from '../helpers/offline-kafka-probe.ts';
import { type GroupProcess, startGroup } from '../helpers/process.ts';
import { eventually, kafkaClient } from '../helpers/stack.ts';

const run = probeRun(
  'okctl',
  { http: 3220, ws: 3221, lambda: 3222, control: 3223 },
  Math.floor((Date.now() - 60_000) / 1000),
);
const { topics, ports } = run;

let kafka: Kafka;
let admin: Admin;
let offline: GroupProcess;
let lambda: LambdaClient;

const uuidOf = (fn: ProbeFunction, topic: string) => mappingUuid(probe.service, probe.stage, fn, topic);
const idsOf = (fn: ProbeFunction) => probeEntries(run, fn).flatMap((e) => e.ids);

async function stateOf(uuid: string): Promise<string | undefined> {
  return (await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State;
}

async function localStats(uuid: string): Promise<LocalStats> {
  const res = await fetch(
    `http://127.0.0.1:${ports.control}/2015-03-31/event-source-mappings/${uuid}/local-stats`,
  );
  if (!res.ok) throw new Error(`local-stats answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as LocalStats;
}

async function members(fn: ProbeFunction): Promise<{ state: string; members: number }> {
  const { groups } = await admin.describeGroups([probeFunctionName(fn)]);
  return { state: groups[0]?.state ?? 'missing', members: groups[0]?.members.length ?? -1 };
}

beforeAll(async () => {
  kafka = kafkaClient();
  admin = kafka.admin();
  await admin.connect();
  await prepareProbeRun(run);
  offline = startGroup(join(repoRoot, 'node_modules', '.bin', 'sls'), ['offline', 'start'], {
    cwd: probeServiceDir,
    env: { ...run.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  await eventually(
    'the five event sources to consume and the mappings API to listen',
    async () =>
      (offline.output().match(/offline-kafka: \w+: consuming /g)?.length ?? 0) >= 5 &&
      offline.output().includes(`event-source mappings at http://127.0.0.1:${ports.control}/`)
        ? true
        : undefined,
    120_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${offline.output().slice(-3000)}`);
  });
  lambda = new LambdaClient({
    endpoint: `http://127.0.0.1:${ports.control}`,
    region: probe.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}, 180_000);

afterAll(async () => {
  lambda?.destroy();
  await admin?.disconnect();
  const code = await offline?.interrupt();
  expect(code).toBe(0);
  await portsFreed(ports);
});

describe('the event-source-mapping API of sls offline start', () => {
  it('lists each kafka and msk event as AWS lists its mapping, with a UUID derived from its names', async () => {
    const all = await lambda.send(new ListEventSourceMappingsCommand({}));
    const partial = await lambda.send(
      new ListEventSourceMappingsCommand({ FunctionName: probeFunctionName('partial') }),
    );
    const byUuid = new Map((all.EventSourceMappings ?? []).map((m) => [m.UUID, m]));

    expect(all.EventSourceMappings).toHaveLength(5);
    expect(partial.EventSourceMappings?.map((m) => m.UUID)).toEqual([uuidOf('partial', topics.partial)]);
    expect(byUuid.get(uuidOf('partial', topics.partial))).toMatchObject({
      FunctionArn: `arn:aws:lambda:${probe.region}:000000000000:function:${probeFunctionName('partial')}`,
      Topics: [topics.partial],
      State: 'Enabled',
      StateTransitionReason: 'USER_INITIATED',
      BatchSize: 10,
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 5,
      SelfManagedEventSource: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: [run.env.PROBE_BROKERS] } },
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: probeFunctionName('partial') },
    });
    expect(byUuid.get(uuidOf('filtered', topics.filter))).toMatchObject({
      EventSourceArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/probe/abc',
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: probeFunctionName('filtered') },
      DestinationConfig: { OnFailure: { Destination: `kafka://${topics.failed}` } },
    });
  });

  it('disables a mapping: its consumer leaves the group, records wait, the offsets can be reset; enabled, it replays from there', async () => {
    const uuid = uuidOf('partial', topics.partial);
    const first = await sendProbeRecords(
      kafka,
      topics.partial,
      Array.from({ length: 5 }, (_, i) => ({ key: `a${i}`, value: JSON.stringify({ n: i }) })),
    );
    const base = Number(first[0]?.baseOffset);
    await eventually('the first five to be committed', async () =>
      (await committedOffsets(kafka, 'partial', topics.partial)).get(0) === base + 5 ? true : undefined,
    );

    // Disable: answered at once with Disabling, Disabled once the consumer has left its group.
    const disabling = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
    await eventually('the mapping to be Disabled', async () =>
      (await stateOf(uuid)) === 'Disabled' ? true : undefined,
    );
    const group = await members('partial');

    // Records produced now wait, while an enabled mapping of the same process goes on invoking.
    await sendProbeRecords(
      kafka,
      topics.partial,
      Array.from({ length: 5 }, (_, i) => ({ key: `b${i}`, value: JSON.stringify({ n: 5 + i }) })),
    );
    const control = await sendProbeRecords(kafka, topics.timestamp, [{ key: 'ctl', value: '{"n":0}' }]);
    const controlId = `${topics.timestamp}-${control[0]?.partition}@${control[0]?.baseOffset}`;
    await eventually('the enabled timestamp mapping to invoke its record', async () =>
      idsOf('timestamp').includes(controlId) ? true : undefined,
    );
    const whileDisabled = idsOf('partial');
    const committedWhileDisabled = (await committedOffsets(kafka, 'partial', topics.partial)).get(0);

    // Kafka refuses an offset reset while the group has members: this one passes because it has none.
    await admin.setOffsets({
      groupId: probeFunctionName('partial'),
      topic: topics.partial,
      partitions: [{ partition: 0, offset: String(base + 2) }],
    });

    const enabling = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true }));
    await eventually('the replay and the waiting records to be committed', async () =>
      (await committedOffsets(kafka, 'partial', topics.partial)).get(0) === base + 10 ? true : undefined,
    );
    const state = await stateOf(uuid);
    const delivered = idsOf('partial');
    const stats = await localStats(uuid);
    const id = (offset: number) => `${topics.partial}-0@${offset}`;

    expect(disabling.State).toBe('Disabling');
    expect(group).toEqual({ state: 'Empty', members: 0 });
    expect(whileDisabled).toEqual([0, 1, 2, 3, 4].map((i) => id(base + i)));
    expect(committedWhileDisabled).toBe(base + 5);
    expect(enabling.State).toBe('Enabling');
    expect(state).toBe('Enabled');
    // Offsets 2 to 4 twice (the replay), 5 to 9 once.
    expect(delivered.slice(5)).toEqual([2, 3, 4, 5, 6, 7, 8, 9].map((i) => id(base + i)));
    expect(stats.metricsConfig).toEqual(['EventCount', 'ErrorCount', 'KafkaMetrics']);
    expect(stats.metrics).toEqual({
      PolledEventCount: 13,
      InvokedEventCount: 13,
      FilteredOutEventCount: 0,
      FailedInvokeEventCount: 0,
      DroppedEventCount: 0,
      OnFailureDestinationDeliveredEventCount: 0,
      // 5 before the reset, then from base + 2 to base + 10.
      CommittedEventCount: 13,
      PollingErrorCount: 0,
      InvokeErrorCount: 0,
      OnFailureDestinationDeliveryErrorCount: 0,
      SchemaRegistryErrorCount: 0,
      CommitErrorCount: 0,
      SumOffsetLag: 0,
      MaxOffsetLag: 0,
    });
    expect(stats.invocations.reduce((sum, e) => sum + e.records, 0)).toBe(13);
    expect(stats.invocations.every((e) => e.outcome === 'ok' && e.partition === 0)).toBe(true);
    // Newest first: the last invocation ends at the last offset.
    expect(stats.invocations[0]?.lastOffset).toBe(String(base + 9));
    expect(stats.invocations.at(-1)?.firstOffset).toBe(String(base));
  });

  it('counts a bisected batch as AWS counts it: failed invocations, bisections, the record sent to the destination', async () => {
    const uuid = uuidOf('bisect', topics.bisect);
    const meta = await sendProbeRecords(
      kafka,
      topics.bisect,
      Array.from({ length: 8 }, (_, i) => ({
        key: `k${i}`,
        value: JSON.stringify(i === 5 ? { n: i, fail: 'throw' } : { n: i }),
      })),
    );
    const base = Number(meta[0]?.baseOffset);
    await eventually('the bisect function to commit all eight', async () =>
      (await committedOffsets(kafka, 'bisect', topics.bisect)).get(0) === base + 8 ? true : undefined,
    );
    const stats = await localStats(uuid);
    const invocations = probeEntries(run, 'bisect');
    const sent = stats.invocations.filter((e) => e.outcome === 'sent-to-destination');

    expect(stats.metrics).toMatchObject({
      PolledEventCount: 8,
      InvokedEventCount: invocations.reduce((sum, e) => sum + e.ids.length, 0),
      FailedInvokeEventCount: invocations.filter((e) => e.poison).reduce((sum, e) => sum + e.ids.length, 0),
      OnFailureDestinationDeliveredEventCount: 1,
      DroppedEventCount: 0,
      CommittedEventCount: 8,
      // One per failed invocation, however many records it carried.
      InvokeErrorCount: invocations.filter((e) => e.poison).length,
      SumOffsetLag: 0,
    });
    // The local stats list the invocations the probe saw, and the hand-off.
    expect(stats.invocations.filter((e) => e.outcome !== 'sent-to-destination')).toHaveLength(
      invocations.length,
    );
    expect(sent).toEqual([
      expect.objectContaining({
        records: 1,
        firstOffset: String(base + 5),
        retries: 1,
        condition: 'RetryAttemptsExhausted',
      }),
    ]);
    expect(sent[0]?.bisections).toBeGreaterThanOrEqual(3);
    expect(Math.max(...stats.invocations.map((e) => e.retries))).toBe(1);
  });

  it('publishes only the metric groups metricsConfig lists: the pollers mapping (KafkaMetrics) shows its offset lags alone', async () => {
    const uuid = uuidOf('pollers', topics.pollers);
    await sendProbeRecords(kafka, topics.pollers, [{ key: 'only', partition: 1, value: '{"n":0}' }]);
    await eventually('the pollers function to commit its record', async () =>
      (await committedOffsets(kafka, 'pollers', topics.pollers)).get(1) === 1 ? true : undefined,
    );

    const stats = await localStats(uuid);

    expect(stats.metricsConfig).toEqual(['KafkaMetrics']);
    expect(stats.metrics).toEqual({ MaxOffsetLag: 0, SumOffsetLag: 0 });
    expect(stats.invocations).toHaveLength(1);
  });
});
