import { describe, expect, it } from 'vitest';
import {
  type AwsErrorAnswer,
  awsError,
  type EventSourceMappingConfiguration,
  functionNameOf,
  listPage,
  type MappingStatus,
  mappingUuid,
  mappingUuids,
  parseListQuery,
  parseUpdate,
  routeOf,
  toConfiguration,
} from './mapping.ts';
import { type EventSource, resolveEventSources } from './options.ts';

const mskArn = 'arn:aws:kafka:eu-west-1:123456789012:cluster/pipeline/abcd1234-abcd-cafe-abab-9876543210ab-4';

function sources(events: unknown[], settings?: unknown): EventSource[] {
  return resolveEventSources({
    service: 'svc',
    stage: 'local',
    functions: { sinkUsers: { events } },
    settings,
  });
}

function one(event: unknown, settings?: unknown): EventSource {
  const [source] = sources([event], settings);
  if (!source) throw new Error('no event source');
  return source;
}

const status: MappingStatus = {
  state: 'Enabled',
  reason: 'USER_INITIATED',
  lastModifiedMs: 1_700_000_000_123,
  lastProcessingResult: 'OK',
};

const kafkaEvent = {
  kafka: {
    topic: 'users_created',
    bootstrapServers: ['127.0.0.1:9092', '127.0.0.1:9093'],
    batchSize: 50,
    maximumBatchingWindow: 1,
  },
};

function isError(value: object): value is AwsErrorAnswer {
  return 'status' in value && 'type' in value;
}

describe('mappingUuid', () => {
  it('is a version-5 UUID that stays the same for the same service, stage, function and topic', () => {
    const uuid = mappingUuid('svc', 'local', 'sink-users', 'users_created');

    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(mappingUuid('svc', 'local', 'sink-users', 'users_created')).toBe(uuid);
    expect(
      new Set([
        uuid,
        mappingUuid('svc', 'dev', 'sink-users', 'users_created'),
        mappingUuid('svc', 'local', 'other', 'users_created'),
        mappingUuid('svc', 'local', 'sink-users', 'other'),
        mappingUuid('other', 'local', 'sink-users', 'users_created'),
      ]).size,
    ).toBe(5);
  });

  it('tells apart a second event of the same function on the same topic', () => {
    const [a, b, c] = mappingUuids(
      'svc',
      'local',
      sources([kafkaEvent, kafkaEvent, { kafka: { ...kafkaEvent.kafka, topic: 'x' } }]),
    );

    expect(a).toBe(mappingUuid('svc', 'local', 'sinkUsers', 'users_created'));
    expect(b).not.toBe(a);
    expect(c).toBe(mappingUuid('svc', 'local', 'sinkUsers', 'x'));
  });
});

describe('toConfiguration', () => {
  it('shows a kafka event as AWS shows a self-managed Kafka mapping', () => {
    const configuration = toConfiguration(one(kafkaEvent), 'u-1', status, 'eu-west-1');

    expect(configuration).toEqual({
      UUID: 'u-1',
      EventSourceMappingArn: 'arn:aws:lambda:eu-west-1:000000000000:event-source-mapping:u-1',
      FunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:svc-local-sinkUsers',
      Topics: ['users_created'],
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 1,
      MaximumRetryAttempts: -1,
      MaximumRecordAgeInSeconds: -1,
      BisectBatchOnFunctionError: false,
      FunctionResponseTypes: [],
      SelfManagedEventSource: {
        Endpoints: { KAFKA_BOOTSTRAP_SERVERS: ['127.0.0.1:9092', '127.0.0.1:9093'] },
      },
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: 'svc-local-sinkUsers' },
      State: 'Enabled',
      StateTransitionReason: 'USER_INITIATED',
      LastModified: 1_700_000_000.123,
      LastProcessingResult: 'OK',
    });
  });

  it('shows an msk event with its cluster ARN and the error handling, filters and pollers it sets', () => {
    const source = one(
      {
        msk: {
          arn: mskArn,
          topic: 'users_created',
          consumerGroupId: 'my-group',
          startingPosition: 'AT_TIMESTAMP',
          startingPositionTimestamp: 1_700_000_000,
          filterPatterns: [{ value: { kind: ['keep'] } }],
          maximumRetryAttempts: 3,
          maximumRecordAgeInSeconds: 120,
          bisectBatchOnFunctionError: true,
          functionResponseType: 'ReportBatchItemFailures',
          onFailureDestination: 'kafka://users_created.dlq',
          provisionedPollerConfig: { minimumPollers: 1, maximumPollers: 3 },
        },
      },
      { brokers: ['127.0.0.1:9092'] },
    );

    const configuration = toConfiguration(source, 'u-2', status, 'eu-west-1');

    expect(configuration).toMatchObject({
      EventSourceArn: mskArn,
      StartingPosition: 'AT_TIMESTAMP',
      StartingPositionTimestamp: 1_700_000_000,
      MaximumBatchingWindowInSeconds: 0.5,
      FilterCriteria: { Filters: [{ Pattern: '{"value":{"kind":["keep"]}}' }] },
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 120,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: 'kafka://users_created.dlq' } },
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'my-group' },
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 3 },
    });
    expect(configuration).not.toHaveProperty('SelfManagedEventSource');
    expect(configuration).not.toHaveProperty('SelfManagedKafkaEventSourceConfig');
  });
  it('shows the 2025-2026 keys as GetEventSourceMapping does: poller group, schema registry, metrics, logging', () => {
    const source = one(
      {
        kafka: {
          topic: 'users_created',
          bootstrapServers: ['127.0.0.1:9092'],
          provisionedPollerConfig: { minimumPollers: 1, maximumPollers: 6, pollerGroupName: 'pipeline' },
          schemaRegistryConfig: {
            schemaRegistryUri: 'http://127.0.0.1:8081/apis/ccompat/v7',
            eventRecordFormat: 'JSON',
            schemaValidationConfigs: [{ attribute: 'KEY' }, { attribute: 'VALUE' }],
          },
          metricsConfig: { metrics: ['EventCount'] },
          loggingConfig: { systemLogLevel: 'DEBUG' },
        },
      },
      {},
    );

    const configuration = toConfiguration(source, 'u-3', status, 'eu-west-1');

    expect(configuration).toMatchObject({
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 6, PollerGroupName: 'pipeline' },
      SelfManagedKafkaEventSourceConfig: {
        ConsumerGroupId: 'svc-local-sinkUsers',
        SchemaRegistryConfig: {
          SchemaRegistryURI: 'http://127.0.0.1:8081/apis/ccompat/v7',
          EventRecordFormat: 'JSON',
          SchemaValidationConfigs: [{ Attribute: 'KEY' }, { Attribute: 'VALUE' }],
        },
      },
      MetricsConfig: { Metrics: ['EventCount'] },
      LoggingConfig: { SystemLogLevel: 'DEBUG' },
    });
  });
});

describe('routeOf', () => {
  it('reads the three operations and the local stats from the method and path', () => {
    expect(routeOf('GET', '/2015-03-31/event-source-mappings/')).toEqual({ op: 'ListEventSourceMappings' });
    expect(routeOf('GET', '/2015-03-31/event-source-mappings')).toEqual({ op: 'ListEventSourceMappings' });
    expect(routeOf('GET', '/2015-03-31/event-source-mappings/a%2Db')).toEqual({
      op: 'GetEventSourceMapping',
      uuid: 'a-b',
    });
    expect(routeOf('PUT', '/2015-03-31/event-source-mappings/u')).toEqual({
      op: 'UpdateEventSourceMapping',
      uuid: 'u',
    });
    expect(routeOf('GET', '/2015-03-31/event-source-mappings/u/local-stats')).toEqual({
      op: 'LocalStats',
      uuid: 'u',
    });
  });

  it('knows no other operation', () => {
    for (const [method, path] of [
      ['POST', '/2015-03-31/event-source-mappings/'],
      ['DELETE', '/2015-03-31/event-source-mappings/u'],
      ['PUT', '/2015-03-31/event-source-mappings/u/local-stats'],
      ['GET', '/2015-03-31/functions/f/invocations'],
      ['GET', '/2015-03-31/event-source-mappings/%E0%A4%A'],
      ['GET', '/2015-03-31/event-source-mappings/u/other'],
    ] as const) {
      expect(routeOf(method, path), `${method} ${path}`).toEqual({ op: 'Unknown' });
    }
  });
});

describe('awsError', () => {
  it('spells the message as Lambda’s model does for each error', () => {
    expect(awsError('ResourceNotFoundException', 'gone')).toEqual({
      status: 404,
      type: 'ResourceNotFoundException',
      body: { Type: 'User', Message: 'gone' },
    });
    expect(awsError('InvalidParameterValueException', 'bad')).toEqual({
      status: 400,
      type: 'InvalidParameterValueException',
      body: { Type: 'User', message: 'bad' },
    });
    expect(awsError('ResourceInUseException', 'busy').body).toEqual({ Type: 'User', Message: 'busy' });
  });
});

describe('listing', () => {
  const configurations = sources([kafkaEvent, { kafka: { ...kafkaEvent.kafka, topic: 'b' } }]).map((s, i) =>
    toConfiguration(s, `u-${i}`, status, 'eu-west-1'),
  );
  const other = toConfiguration(
    one({ msk: { arn: mskArn, topic: 'c' } }, { brokers: ['b:9092'] }),
    'u-msk',
    status,
    'eu-west-1',
  );
  const all: EventSourceMappingConfiguration[] = [
    ...configurations,
    { ...other, FunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:other' },
  ];

  it('filters by function name, full or partial ARN, with or without a qualifier', () => {
    for (const name of [
      'svc-local-sinkUsers',
      'arn:aws:lambda:eu-west-1:000000000000:function:svc-local-sinkUsers',
      '000000000000:function:svc-local-sinkUsers',
      'svc-local-sinkUsers:$LATEST',
    ]) {
      const page = listPage(all, { functionName: name });
      expect(isError(page) ? page : page.EventSourceMappings.map((c) => c.UUID), name).toEqual([
        'u-0',
        'u-1',
      ]);
    }
    expect(functionNameOf('arn:aws:lambda:us-east-1:123456789012:function:f:prod')).toBe('f');
  });

  it('filters by event source ARN and pages with MaxItems and NextMarker', () => {
    const byArn = listPage(all, { eventSourceArn: mskArn });
    const first = listPage(all, { maxItems: 2 });
    const second = listPage(all, { maxItems: 2, marker: '2' });

    expect(isError(byArn) ? byArn : byArn.EventSourceMappings.map((c) => c.UUID)).toEqual(['u-msk']);
    expect(first).toMatchObject({ NextMarker: '2' });
    expect(isError(first) ? first : first.EventSourceMappings).toHaveLength(2);
    expect(second).not.toHaveProperty('NextMarker');
    expect(isError(second) ? second : second.EventSourceMappings.map((c) => c.UUID)).toEqual(['u-msk']);
    expect(listPage(all, { marker: 'x' })).toMatchObject({ type: 'InvalidParameterValueException' });
  });

  it('reads the query string, refusing a MaxItems AWS refuses', () => {
    expect(parseListQuery(new URLSearchParams('FunctionName=f&MaxItems=5&Marker=1'))).toEqual({
      functionName: 'f',
      maxItems: 5,
      marker: '1',
    });
    expect(parseListQuery(new URLSearchParams('MaxItems=0'))).toMatchObject({
      status: 400,
      type: 'InvalidParameterValueException',
    });
  });
});

describe('parseUpdate', () => {
  const current = toConfiguration(one(kafkaEvent), 'u-1', status, 'eu-west-1');
  const where = 'functions.sinkUsers.events[0].kafka';

  it('reads Enabled, and an empty update as no change', () => {
    expect(parseUpdate('{"Enabled":false}', current, where)).toEqual({ enabled: false });
    expect(parseUpdate('{"Enabled":true}', current, where)).toEqual({ enabled: true });
    expect(parseUpdate('', current, where)).toEqual({});
  });

  it('accepts other fields that keep their current value, and the function by name or ARN', () => {
    expect(
      parseUpdate(
        JSON.stringify({ Enabled: false, BatchSize: 50, FunctionName: current.FunctionArn }),
        current,
        where,
      ),
    ).toEqual({ enabled: false });
    expect(parseUpdate('{"FunctionName":"svc-local-sinkUsers"}', current, where)).toEqual({});
  });

  it('refuses a change to anything but Enabled, naming the keys and where to set them', () => {
    const refused = parseUpdate(
      JSON.stringify({ Enabled: true, BatchSize: 10, FunctionName: 'other', MaximumRetryAttempts: 2 }),
      current,
      where,
    );

    expect(refused).toEqual({
      status: 400,
      type: 'InvalidParameterValueException',
      body: {
        Type: 'User',
        message: `offline-kafka can change only Enabled locally; FunctionName, BatchSize, MaximumRetryAttempts come from ${where} in serverless.yml and take effect on the next sls offline start`,
      },
    });
  });

  it('refuses a body that is not a JSON object, or an Enabled that is not a boolean', () => {
    expect(parseUpdate('{', current, where)).toMatchObject({ type: 'InvalidRequestContentException' });
    expect(parseUpdate('[1]', current, where)).toMatchObject({ type: 'InvalidRequestContentException' });
    expect(parseUpdate('{"Enabled":"no"}', current, where)).toMatchObject({
      type: 'InvalidParameterValueException',
    });
  });
});
