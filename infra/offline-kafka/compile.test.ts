import { describe, expect, it } from 'vitest';
import { compiledKeys, compileMappingProperties, describeCompiledKeys } from './compile.ts';
import { type EventSource, resolveEventSources } from './options.ts';

const clusterRef = { Ref: 'MskClusterArn' };
const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-AbCdEf';

/** The event source serverless.yml would give for these options of an `msk` (or `kafka`) event. */
function source(type: 'msk' | 'kafka', options: Record<string, unknown>): EventSource {
  const connection = type === 'msk' ? { arn: clusterRef } : { bootstrapServers: ['b-1:9098'] };
  const [resolved] = resolveEventSources({
    service: 'svc',
    stage: 'prod',
    functions: {
      'sink-users': { events: [{ [type]: { topic: 'users_created', ...connection, ...options } }] },
    },
    settings: { brokers: ['packaging:0'] },
  });
  if (resolved === undefined) throw new Error('no event source');
  return resolved;
}

/** What osls compiles for an `msk` event with provisionedPollerConfig and a consumer group. */
const oslsMsk = {
  EventSourceArn: clusterRef,
  FunctionName: { 'Fn::GetAtt': ['SinkDashusersLambdaFunction', 'Arn'] },
  StartingPosition: 'TRIM_HORIZON',
  Topics: ['users_created'],
  BatchSize: 100,
  MaximumBatchingWindowInSeconds: 1,
  AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'svc-prod-sink-users' },
  ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 6 },
};

const everyKey = {
  maximumRetryAttempts: 10_000,
  maximumRecordAgeInSeconds: -1,
  bisectBatchOnFunctionError: false,
  functionResponseType: 'ReportBatchItemFailures',
  onFailureDestination: 'kafka://users_created.dlq',
  provisionedPollerConfig: { minimumPollers: 1, maximumPollers: 6, pollerGroupName: 'pipeline' },
  schemaRegistryConfig: {
    schemaRegistryUri: 'https://registry.example.com/apis/ccompat/v7',
    eventRecordFormat: 'SOURCE',
    accessConfigs: [{ type: 'BASIC_AUTH', uri: secretArn }],
    schemaValidationConfigs: [{ attribute: 'VALUE' }],
  },
  metricsConfig: { metrics: ['EventCount', 'ErrorCount', 'KafkaMetrics'] },
  loggingConfig: { systemLogLevel: 'WARN' },
};

describe('compileMappingProperties', () => {
  it('adds every key osls lacks to what osls compiled for an msk event, keeping the rest', () => {
    const props = compileMappingProperties(source('msk', everyKey), oslsMsk);

    expect(props).toEqual({
      ...oslsMsk,
      MaximumRetryAttempts: 10_000,
      MaximumRecordAgeInSeconds: -1,
      BisectBatchOnFunctionError: false,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: 'kafka://users_created.dlq' } },
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 6, PollerGroupName: 'pipeline' },
      AmazonManagedKafkaEventSourceConfig: {
        ConsumerGroupId: 'svc-prod-sink-users',
        SchemaRegistryConfig: {
          SchemaRegistryURI: 'https://registry.example.com/apis/ccompat/v7',
          EventRecordFormat: 'SOURCE',
          AccessConfigs: [{ Type: 'BASIC_AUTH', URI: secretArn }],
          SchemaValidationConfigs: [{ Attribute: 'VALUE' }],
        },
      },
      MetricsConfig: { Metrics: ['EventCount', 'ErrorCount', 'KafkaMetrics'] },
      LoggingConfig: { SystemLogLevel: 'WARN' },
    });
    // The input is osls's own object: it stays as osls wrote it.
    expect(oslsMsk.AmazonManagedKafkaEventSourceConfig).toEqual({ ConsumerGroupId: 'svc-prod-sink-users' });
  });

  it('puts a self-managed source’s registry under SelfManagedKafkaEventSourceConfig, leaving its destination to osls', () => {
    const props = compileMappingProperties(
      source('kafka', {
        onFailureDestination: 'kafka://users_created.dlq',
        schemaRegistryConfig: { schemaRegistryUri: 'http://127.0.0.1:8081/apis/ccompat/v7' },
      }),
      { SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: 'g' } },
    );

    expect(props).toEqual({
      SelfManagedKafkaEventSourceConfig: {
        ConsumerGroupId: 'g',
        SchemaRegistryConfig: { SchemaRegistryURI: 'http://127.0.0.1:8081/apis/ccompat/v7' },
      },
    });
  });

  it('keeps a CloudFormation expression for the registry URL and secret as it is', () => {
    const url = { 'Fn::ImportValue': 'registry-url' };
    const secret = { Ref: 'RegistrySecret' };

    const props = compileMappingProperties(
      source('msk', {
        schemaRegistryConfig: {
          schemaRegistryUri: url,
          accessConfigs: [{ type: 'BASIC_AUTH', uri: secret }],
        },
      }),
      {},
    );

    expect(props.AmazonManagedKafkaEventSourceConfig).toEqual({
      SchemaRegistryConfig: { SchemaRegistryURI: url, AccessConfigs: [{ Type: 'BASIC_AUTH', URI: secret }] },
    });
  });

  it('writes a batching window of 0 (the low-latency setting), which osls leaves out', () => {
    expect(compileMappingProperties(source('msk', { maximumBatchingWindow: 0 }), {})).toEqual({
      MaximumBatchingWindowInSeconds: 0,
    });
  });

  it('adds nothing for an event that only uses keys osls compiles', () => {
    const event = source('msk', { batchSize: 100, maximumBatchingWindow: 1 });

    expect(compileMappingProperties(event, oslsMsk)).toEqual(oslsMsk);
    expect(compiledKeys(event)).toEqual([]);
    expect(describeCompiledKeys(event)).toBeUndefined();
  });
});

describe('describeCompiledKeys', () => {
  it('names each key osls cannot express and the property it becomes', () => {
    expect(describeCompiledKeys(source('msk', everyKey))).toBe(
      "functions.sink-users.events[0].msk: osls's msk event cannot express maximumRetryAttempts, maximumRecordAgeInSeconds, bisectBatchOnFunctionError, functionResponseType, onFailureDestination, provisionedPollerConfig.pollerGroupName, schemaRegistryConfig, metricsConfig, loggingConfig; offline-kafka compiles them into the EventSourceMapping as MaximumRetryAttempts, MaximumRecordAgeInSeconds, BisectBatchOnFunctionError, FunctionResponseTypes, DestinationConfig, ProvisionedPollerConfig.PollerGroupName, AmazonManagedKafkaEventSourceConfig.SchemaRegistryConfig, MetricsConfig, LoggingConfig",
    );
  });
});
