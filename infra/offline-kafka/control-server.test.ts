/**
 * The control API answered through AWS's own Lambda client, pointed at a listener on a loopback port: the
 * client must read every answer (configurations, timestamps, pages, errors) as it reads Lambda's.
 */
import {
  GetEventSourceMappingCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MappingController } from './control.ts';
import { type ControlEndpoint, listenControl } from './control-server.ts';
import { mappingUuids } from './mapping.ts';
import { parseSettings, resolveEventSources } from './options.ts';
import type { RunnerOptions } from './runner.ts';

const mskArn = 'arn:aws:kafka:eu-west-1:123456789012:cluster/pipeline/abc';
const started: RunnerOptions[] = [];
const lines: string[] = [];
let control: ControlEndpoint;
let lambda: LambdaClient;
let mappings: MappingController[];

beforeAll(async () => {
  const view = {
    service: 'svc',
    stage: 'local',
    functions: {
      sink: { events: [{ kafka: { topic: 'users', bootstrapServers: ['127.0.0.1:9092'], batchSize: 10 } }] },
      audit: { events: [{ msk: { arn: mskArn, topic: 'users', enabled: false } }] },
    },
    settings: { brokers: ['127.0.0.1:9092'] },
  };
  const sources = resolveEventSources(view);
  const uuids = mappingUuids('svc', 'local', sources);
  mappings = sources.map(
    (source, i) =>
      new MappingController({
        uuid: uuids[i] ?? '',
        source,
        settings: parseSettings(view.settings),
        lambdaEndpoint: 'http://127.0.0.1:1',
        region: 'eu-west-1',
        log: () => {},
        warn: () => {},
        now: () => Date.parse('2025-01-02T03:04:05.678Z'),
        // A consumer that joins at once and stops at once.
        supervise: (options) => {
          started.push(options);
          queueMicrotask(() => options.observer?.started());
          return { stop: async () => {} };
        },
        readOffsets: async () => [{ partition: 0, low: 0, high: 12, committed: 10 }],
      }),
  );
  for (const mapping of mappings) mapping.start();
  control = await listenControl({
    mappings,
    port: 0,
    where: (uuid) => `the event of ${uuid}`,
    log: (line) => lines.push(line),
  });
  lambda = new LambdaClient({
    endpoint: control.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  lambda?.destroy();
  await control?.close();
});

function uuidOf(fn: string): string {
  const mapping = mappings.find((m) => m.source.functionKey === fn);
  if (!mapping) throw new Error(`no mapping for ${fn}`);
  return mapping.uuid;
}

async function rejection(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) {
      const status =
        '$metadata' in error && typeof error.$metadata === 'object' && error.$metadata !== null
          ? Reflect.get(error.$metadata, 'httpStatusCode')
          : undefined;
      return { name: error.name, message: error.message, ...(typeof status === 'number' ? { status } : {}) };
    }
  }
  throw new Error('the call did not fail');
}

describe('the event-source-mapping API through @aws-sdk/client-lambda', () => {
  it('lists every mapping, with AWS’s fields, and filters by function', async () => {
    const all = await lambda.send(new ListEventSourceMappingsCommand({}));
    const audit = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'svc-local-audit' }));

    expect(all.EventSourceMappings?.map((m) => [m.UUID, m.State])).toEqual([
      [uuidOf('sink'), 'Enabled'],
      [uuidOf('audit'), 'Disabled'],
    ]);
    expect(all.EventSourceMappings?.[0]).toMatchObject({
      FunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:svc-local-sink',
      Topics: ['users'],
      BatchSize: 10,
      SelfManagedEventSource: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: ['127.0.0.1:9092'] } },
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: 'svc-local-sink' },
      LastModified: new Date('2025-01-02T03:04:05.678Z'),
      LastProcessingResult: 'No records processed',
    });
    expect(audit.EventSourceMappings?.map((m) => m.UUID)).toEqual([uuidOf('audit')]);
    expect(audit.EventSourceMappings?.[0]).toMatchObject({
      EventSourceArn: mskArn,
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'svc-local-audit' },
    });
  });

  it('pages with MaxItems and Marker as the SDK sends them', async () => {
    const first = await lambda.send(new ListEventSourceMappingsCommand({ MaxItems: 1 }));
    const second = await lambda.send(
      new ListEventSourceMappingsCommand({ MaxItems: 1, Marker: first.NextMarker }),
    );

    expect(first.EventSourceMappings?.map((m) => m.UUID)).toEqual([uuidOf('sink')]);
    expect(first.NextMarker).toBe('1');
    expect(second.EventSourceMappings?.map((m) => m.UUID)).toEqual([uuidOf('audit')]);
    expect(second.NextMarker).toBeUndefined();
  });

  it('disables and enables a mapping, answering 202 with the state in between, and logs each update', async () => {
    const uuid = uuidOf('sink');

    const disabling = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
    const disabled = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
    const enabling = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true }));
    await new Promise((resolve) => setImmediate(resolve));
    const enabled = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));

    expect(disabling.$metadata.httpStatusCode).toBe(202);
    expect(disabling.State).toBe('Disabling');
    expect(disabled.State).toBe('Disabled');
    expect(enabling.State).toBe('Enabling');
    expect(enabled.State).toBe('Enabled');
    expect(started.filter((o) => o.source.functionKey === 'sink')).toHaveLength(2);
    expect(lines).toEqual([
      `sink: UpdateEventSourceMapping ${uuid} Enabled=false: Enabled → Disabling`,
      `sink: UpdateEventSourceMapping ${uuid} Enabled=true: Disabled → Enabling`,
    ]);
  });

  it('answers AWS’s errors: an unknown UUID, a field that cannot change locally', async () => {
    const missing = await rejection(lambda.send(new GetEventSourceMappingCommand({ UUID: 'nope' })));
    const batch = await rejection(
      lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuidOf('sink'), BatchSize: 500 })),
    );

    expect(missing).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
    expect(missing.message).toContain('nope');
    expect(batch).toMatchObject({ name: 'InvalidParameterValueException', status: 400 });
    expect(batch.message).toContain(`BatchSize comes from the event of ${uuidOf('sink')} in serverless.yml`);
  });

  it('serves the local stats next to the mapping (no metricsConfig: no metrics, as on AWS), and refuses operations it does not serve', async () => {
    const stats = await fetch(
      `${control.endpoint}/2015-03-31/event-source-mappings/${uuidOf('sink')}/local-stats`,
    );
    const create = await fetch(`${control.endpoint}/2015-03-31/event-source-mappings/`, {
      method: 'POST',
      body: '{}',
    });

    expect(stats.status).toBe(200);
    expect(await stats.json()).toEqual({ metricsConfig: [], metrics: {}, invocations: [] });
    expect(create.status).toBe(404);
    expect(create.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
  });
});
