import { describe, expect, it } from 'vitest';
import { ports } from '../../lib/topology.ts';
import {
  awsLimits,
  type EventSource,
  EventSourceConfigError,
  parseDestination,
  parseSettings,
  resolveEventSources,
  type ServiceView,
} from './options.ts';

const mskArn = 'arn:aws:kafka:eu-west-1:123456789012:cluster/pipeline/abcd1234-abcd-cafe-abab-9876543210ab-4';

function view(events: unknown[], extra: Partial<ServiceView> = {}): ServiceView {
  return { service: 'svc', stage: 'local', functions: { sinkUsers: { events } }, ...extra };
}

function kafka(options: Record<string, unknown> = {}): { kafka: Record<string, unknown> } {
  return { kafka: { topic: 'users_created', bootstrapServers: ['127.0.0.1:9092'], ...options } };
}

function only(v: ServiceView): EventSource {
  const sources = resolveEventSources(v);
  expect(sources).toHaveLength(1);
  const [source] = sources;
  if (source === undefined) throw new Error('no event source');
  return source;
}

function configError(v: ServiceView): EventSourceConfigError {
  try {
    resolveEventSources(v);
  } catch (error) {
    if (error instanceof EventSourceConfigError) return error;
    throw error;
  }
  throw new Error('resolveEventSources did not throw');
}

describe('resolveEventSources', () => {
  it('gives a plain kafka event the defaults of Lambda’s Kafka event-source mapping', () => {
    const source = only(view([kafka()]));

    expect(source).toEqual({
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
      raw: { topic: 'users_created', bootstrapServers: ['127.0.0.1:9092'] },
    });
  });

  it('uses the deployed function name when serverless.yml gives one', () => {
    const source = only({
      service: 'svc',
      stage: 'local',
      functions: { sinkUsers: { name: 'custom-sink', events: [kafka()] } },
    });

    expect(source.functionName).toBe('custom-sink');
    expect(source.consumerGroupId).toBe('svc-local-sinkUsers');
  });

  it('skips events of other kinds but keeps the kafka event’s position among all events', () => {
    const sources = resolveEventSources(
      view([{ http: { path: '/', method: 'get' } }, 'not-an-object', null, kafka(), kafka({ topic: 'b' })]),
    );

    expect(sources.map((s) => [s.index, s.topic])).toEqual([
      [3, 'users_created'],
      [4, 'b'],
    ]);
  });

  it('joins the bootstrap servers for the event and splits them into brokers for the consumer', () => {
    const source = only(view([kafka({ bootstrapServers: ['a:9092, b:9092', 'c:9092'] })]));

    expect(source.bootstrapServers).toBe('a:9092, b:9092,c:9092');
    expect(source.brokers).toEqual(['a:9092', 'b:9092', 'c:9092']);
  });

  it('accepts batchSize from 1 to 10000 and refuses anything outside', () => {
    expect(only(view([kafka({ batchSize: 1 })])).batchSize).toBe(1);
    expect(only(view([kafka({ batchSize: awsLimits.batchSize.max })])).batchSize).toBe(10_000);

    expect(configError(view([kafka({ batchSize: 10_001 })])).message).toMatch(
      /^functions\.sinkUsers\.events\[0\]\.kafka: batchSize: /,
    );
    expect(configError(view([kafka({ batchSize: 0 })])).message).toContain('batchSize');
    expect(configError(view([kafka({ batchSize: 1.5 })])).message).toContain('batchSize');
  });

  it('converts maximumBatchingWindow from seconds to milliseconds, up to 300 s', () => {
    expect(only(view([kafka({ maximumBatchingWindow: 0 })])).maximumBatchingWindowMs).toBe(0);
    expect(only(view([kafka({ maximumBatchingWindow: 0.25 })])).maximumBatchingWindowMs).toBe(250);
    expect(only(view([kafka({ maximumBatchingWindow: 300 })])).maximumBatchingWindowMs).toBe(300_000);

    expect(configError(view([kafka({ maximumBatchingWindow: 301 })])).message).toContain(
      'maximumBatchingWindow',
    );
  });

  it('keeps LATEST and refuses an unknown starting position', () => {
    expect(only(view([kafka({ startingPosition: 'LATEST' })])).startingPosition).toBe('LATEST');

    expect(configError(view([kafka({ startingPosition: 'EARLIEST' })])).message).toContain(
      'startingPosition',
    );
  });

  it('converts the AT_TIMESTAMP timestamp from seconds to milliseconds', () => {
    const source = only(
      view([kafka({ startingPosition: 'AT_TIMESTAMP', startingPositionTimestamp: 1_717_200_000.5 })]),
    );

    expect(source.startingPosition).toBe('AT_TIMESTAMP');
    expect(source.startingPositionTimestampMs).toBe(1_717_200_000_500);
  });

  it('refuses AT_TIMESTAMP without startingPositionTimestamp', () => {
    const error = configError(view([kafka({ startingPosition: 'AT_TIMESTAMP' })]));

    expect(error.name).toBe('EventSourceConfigError');
    expect(error.message).toBe(
      'functions.sinkUsers.events[0].kafka: startingPosition AT_TIMESTAMP needs startingPositionTimestamp',
    );
  });

  it('keeps a consumerGroupId written in serverless.yml', () => {
    expect(only(view([kafka({ consumerGroupId: 'my-group' })])).consumerGroupId).toBe('my-group');
  });

  it('makes an unlimited retry count 10 when an on-failure destination is set, as AWS does', () => {
    const source = only(view([kafka({ onFailureDestination: 'kafka://users_created_dlq' })]));

    expect(source.maximumRetryAttempts).toBe(awsLimits.retriesWithDestination);
    expect(source.maximumRetryAttempts).toBe(10);
    expect(source.onFailure).toEqual({ kind: 'kafka', topic: 'users_created_dlq' });
  });

  it('keeps an explicit retry count with a destination, and -1 without one', () => {
    expect(
      only(view([kafka({ onFailureDestination: 'kafka://dlq', maximumRetryAttempts: 3 })]))
        .maximumRetryAttempts,
    ).toBe(3);
    expect(only(view([kafka({ maximumRetryAttempts: 0 })])).maximumRetryAttempts).toBe(0);
    expect(only(view([kafka({ maximumRetryAttempts: -1 })])).maximumRetryAttempts).toBe(-1);

    expect(configError(view([kafka({ maximumRetryAttempts: -2 })])).message).toContain(
      'maximumRetryAttempts',
    );
    expect(configError(view([kafka({ maximumRetryAttempts: 10_001 })])).message).toContain(
      'maximumRetryAttempts',
    );
  });

  it('accepts maximumRecordAgeInSeconds of -1 or 60 to 604800 and converts it to milliseconds', () => {
    expect(only(view([kafka({ maximumRecordAgeInSeconds: -1 })])).maximumRecordAgeMs).toBeUndefined();
    expect(only(view([kafka({ maximumRecordAgeInSeconds: 60 })])).maximumRecordAgeMs).toBe(60_000);
    expect(only(view([kafka({ maximumRecordAgeInSeconds: 604_800 })])).maximumRecordAgeMs).toBe(604_800_000);

    for (const bad of [0, 59, 604_801]) {
      expect(configError(view([kafka({ maximumRecordAgeInSeconds: bad })])).message).toBe(
        'functions.sinkUsers.events[0].kafka: maximumRecordAgeInSeconds: must be -1 (no limit) or 60 to 604800',
      );
    }
  });

  it('turns on partial batch responses with functionResponseType ReportBatchItemFailures only', () => {
    expect(
      only(view([kafka({ functionResponseType: 'ReportBatchItemFailures' })])).reportBatchItemFailures,
    ).toBe(true);

    expect(configError(view([kafka({ functionResponseType: 'Whatever' })])).message).toContain(
      'functionResponseType',
    );
  });

  it('reads bisectBatchOnFunctionError, enabled and filterPatterns', () => {
    const patterns = [{ value: { country: ['NL'] } }];

    const source = only(
      view([kafka({ bisectBatchOnFunctionError: true, enabled: false, filterPatterns: patterns })]),
    );

    expect(source.bisectBatchOnFunctionError).toBe(true);
    expect(source.enabled).toBe(false);
    expect(source.filterPatterns).toEqual(patterns);
  });

  it('keeps an ARN destination as an ARN', () => {
    const arn = 'arn:aws:sqs:eu-west-1:123456789012:dlq';

    expect(only(view([kafka({ onFailureDestination: arn })])).onFailure).toEqual({ kind: 'arn', arn });
  });

  it('refuses an on-failure destination that is the source topic', () => {
    const error = configError(view([kafka({ onFailureDestination: 'kafka://users_created' })]));

    expect(error.message).toBe(
      'functions.sinkUsers.events[0].kafka: onFailureDestination is the source topic "users_created"; AWS refuses this loop',
    );
  });

  it('reads provisioned mode, the schema registry, metrics and logging with AWS’s keys', () => {
    const registry = {
      schemaRegistryUri: 'http://127.0.0.1:8081/apis/ccompat/v7',
      eventRecordFormat: 'SOURCE',
      schemaValidationConfigs: [{ attribute: 'VALUE' }],
    };

    const source = only(
      view([
        kafka({
          provisionedPollerConfig: { minimumPollers: 1, maximumPollers: 6, pollerGroupName: 'pipeline' },
          schemaRegistryConfig: registry,
          metricsConfig: { metrics: ['EventCount', 'ErrorCount', 'KafkaMetrics'] },
          loggingConfig: { systemLogLevel: 'WARN' },
        }),
      ]),
    );

    expect(source).toMatchObject({
      provisionedPollers: { minimumPollers: 1, maximumPollers: 6, pollerGroupName: 'pipeline' },
      schemaRegistry: registry,
      metrics: ['EventCount', 'ErrorCount', 'KafkaMetrics'],
      systemLogLevel: 'WARN',
    });
  });

  it.each([
    [
      'a metric AWS does not publish',
      { metricsConfig: { metrics: ['OffsetLag'] } },
      'metricsConfig.metrics[0]',
    ],
    [
      'a log level AWS does not know',
      { loggingConfig: { systemLogLevel: 'ERROR' } },
      'loggingConfig.systemLogLevel',
    ],
    [
      'more minimum than maximum pollers',
      { provisionedPollerConfig: { minimumPollers: 7, maximumPollers: 6 } },
      'minimumPollers must not exceed maximumPollers',
    ],
    ['more than 2000 pollers', { provisionedPollerConfig: { maximumPollers: 2001 } }, 'maximumPollers'],
    [
      'a registry without its URI',
      { schemaRegistryConfig: { eventRecordFormat: 'JSON' } },
      'schemaRegistryConfig.schemaRegistryUri',
    ],
    [
      'a record format AWS does not know',
      { schemaRegistryConfig: { schemaRegistryUri: 'http://r', eventRecordFormat: 'AVRO' } },
      'schemaRegistryConfig.eventRecordFormat',
    ],
    [
      'an unknown authentication',
      {
        schemaRegistryConfig: {
          schemaRegistryUri: 'http://r',
          accessConfigs: [{ type: 'OAUTH', uri: 'arn:x' }],
        },
      },
      'schemaRegistryConfig.accessConfigs[0].type',
    ],
    ['a misspelt key', { schemaRegistryConfig: { schemaRegistryUrl: 'http://r' } }, 'schemaRegistryUrl'],
  ])('refuses %s, naming the key', (_what, options, key) => {
    const error = configError(view([kafka(options)]));

    expect(error.message).toMatch(/^functions\.sinkUsers\.events\[0\]\.kafka: /);
    expect(error.message).toContain(key);
  });

  it('names the function, the event and every invalid key', () => {
    const error = configError({
      service: 'svc',
      stage: 'local',
      functions: {
        other: { events: [] },
        sinkUsers: { events: [{ sqs: 'x' }, { kafka: { batchSize: 'ten' } }] },
      },
    });

    expect(error).toBeInstanceOf(EventSourceConfigError);
    expect(error.message).toMatch(/^functions\.sinkUsers\.events\[1\]\.kafka: /);
    expect(error.message).toContain('topic');
    expect(error.message).toContain('batchSize');
    expect(error.message).toContain('bootstrapServers');
  });

  it('refuses a kafka event that is not an object', () => {
    expect(configError(view([{ kafka: 'users_created' }])).message).toMatch(
      /^functions\.sinkUsers\.events\[0\]\.kafka: .*topic/,
    );
  });

  describe('msk events', () => {
    const settings = { brokers: ['127.0.0.1:9092', '127.0.0.1:9093'] };

    it('consume from custom.offlineKafka.brokers and carry the cluster ARN', () => {
      const source = only(view([{ msk: { arn: mskArn, topic: 'users_created' } }], { settings }));

      expect(source.type).toBe('msk');
      expect(source.eventSource).toBe('aws:kafka');
      expect(source.eventSourceArn).toBe(mskArn);
      expect(source.brokers).toEqual(settings.brokers);
      expect(source.bootstrapServers).toBe('127.0.0.1:9092,127.0.0.1:9093');
    });

    it('carry an unresolved CloudFormation ARN as its JSON', () => {
      const arn = { 'Fn::ImportValue': 'pipeline-msk-arn' };

      const source = only(view([{ msk: { arn, topic: 'users_created' } }], { settings }));

      expect(source.eventSourceArn).toBe('{"Fn::ImportValue":"pipeline-msk-arn"}');
    });

    it('need custom.offlineKafka.brokers', () => {
      const error = configError(view([{ msk: { arn: mskArn, topic: 'users_created' } }]));

      expect(error.message).toMatch(
        /^functions\.sinkUsers\.events\[0\]\.msk: .*custom\.offlineKafka\.brokers/,
      );
    });

    it('need the cluster ARN, which every MSK event carries', () => {
      const error = configError(view([{ msk: { topic: 'users_created' } }], { settings }));

      expect(error.message).toMatch(/^functions\.sinkUsers\.events\[0\]\.msk: arn: /);
    });
  });
});

describe('parseDestination', () => {
  it('reads kafka://topic as a Kafka destination and anything else as an ARN', () => {
    expect(parseDestination('kafka://users_dlq')).toEqual({ kind: 'kafka', topic: 'users_dlq' });
    expect(parseDestination('arn:aws:sns:eu-west-1:123456789012:t')).toEqual({
      kind: 'arn',
      arn: 'arn:aws:sns:eu-west-1:123456789012:t',
    });
  });

  it('refuses kafka:// with no topic', () => {
    expect(() => parseDestination('kafka://')).toThrow(EventSourceConfigError);
    expect(() => parseDestination('kafka://')).toThrow('names no topic');
  });
});

describe('parseSettings', () => {
  it('gives the defaults when custom.offlineKafka is absent, null or empty', () => {
    const defaults = {
      retryBaseDelayMs: 250,
      retryMaxDelayMs: 5_000,
      shutdownTimeoutMs: 30_000,
      controlPort: ports.offlineEventSources,
    };

    expect(parseSettings(undefined)).toEqual(defaults);
    expect(parseSettings(null)).toEqual(defaults);
    expect(parseSettings({})).toEqual(defaults);
  });

  it('keeps the values given', () => {
    const settings = parseSettings({
      brokers: ['b:9092'],
      lambdaEndpoint: 'http://127.0.0.1:3002',
      retryBaseDelayMs: 10,
      retryMaxDelayMs: 20,
      shutdownTimeoutMs: 0,
      controlPort: 0,
    });

    expect(settings).toEqual({
      brokers: ['b:9092'],
      lambdaEndpoint: 'http://127.0.0.1:3002',
      retryBaseDelayMs: 10,
      retryMaxDelayMs: 20,
      shutdownTimeoutMs: 0,
      controlPort: 0,
    });
  });

  it('reads controlPort from a variable as a number, and a variable resolved to null as unset', () => {
    expect(parseSettings({ controlPort: '4321' }).controlPort).toBe(4321);
    expect(parseSettings({ controlPort: null }).controlPort).toBe(ports.offlineEventSources);
    expect(() => parseSettings({ controlPort: 70_000 })).toThrow('controlPort');
  });

  it('names custom.offlineKafka and the key that is wrong', () => {
    expect(() => parseSettings({ brokers: [] })).toThrow(/^custom\.offlineKafka: brokers: /);
    expect(() => parseSettings({ lambdaEndpoint: 'not a url' })).toThrow(EventSourceConfigError);
    expect(() => parseSettings({ retryBaseDelayMs: -1 })).toThrow('retryBaseDelayMs');
  });
});
