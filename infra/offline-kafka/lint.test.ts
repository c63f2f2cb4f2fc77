import { describe, expect, it } from 'vitest';
import { lintEventSource } from './lint.ts';
import { type EventSource, resolveEventSources } from './options.ts';

const where = 'functions.sinkUsers.events[0].kafka';

/** The event source serverless.yml would give for these `kafka` options. */
function kafkaSource(options: Record<string, unknown>): EventSource {
  const [source] = resolveEventSources({
    service: 'svc',
    stage: 'local',
    functions: {
      sinkUsers: {
        events: [{ kafka: { topic: 'users_created', bootstrapServers: ['127.0.0.1:9092'], ...options } }],
      },
    },
    settings: { brokers: ['127.0.0.1:9092'] },
  });
  if (source === undefined) throw new Error('no event source');
  return source;
}

describe('lintEventSource', () => {
  it('says nothing about a plain event with maximumBatchingWindow set', () => {
    expect(lintEventSource(kafkaSource({ maximumBatchingWindow: 1, batchSize: 500 }))).toEqual([]);
  });

  it('says nothing about provisioned-mode options under provisionedPollerConfig', () => {
    const warnings = lintEventSource(
      kafkaSource({
        maximumBatchingWindow: 1,
        provisionedPollerConfig: { minimumPollers: 1 },
        bisectBatchOnFunctionError: true,
        functionResponseType: 'ReportBatchItemFailures',
        maximumRecordAgeInSeconds: 60,
      }),
    );

    expect(warnings).toEqual([]);
  });

  it('warns about provisioned-mode-only options without provisionedPollerConfig, naming each', () => {
    const warnings = lintEventSource(
      kafkaSource({
        maximumBatchingWindow: 1,
        bisectBatchOnFunctionError: false,
        maximumRecordAgeInSeconds: 60,
      }),
    );

    expect(warnings).toEqual([
      `${where}: AWS accepts maximumRecordAgeInSeconds, bisectBatchOnFunctionError on Kafka sources only in provisioned mode; add provisionedPollerConfig or the deploy is refused`,
    ]);
  });

  it('counts the schema registry and mapping logs among the provisioned-mode options', () => {
    const warnings = lintEventSource(
      kafkaSource({
        maximumBatchingWindow: 1,
        schemaRegistryConfig: { schemaRegistryUri: 'http://127.0.0.1:8081/apis/ccompat/v7' },
        loggingConfig: { systemLogLevel: 'INFO' },
      }),
    );

    expect(warnings).toContain(
      `${where}: AWS accepts schemaRegistryConfig, loggingConfig on Kafka sources only in provisioned mode; add provisionedPollerConfig or the deploy is refused`,
    );
  });

  it('says nothing of an emulated registry, pollers, metrics and logging', () => {
    const warnings = lintEventSource(
      kafkaSource({
        maximumBatchingWindow: 1,
        provisionedPollerConfig: { minimumPollers: 1 },
        schemaRegistryConfig: { schemaRegistryUri: 'http://127.0.0.1:8081/apis/ccompat/v7' },
        metricsConfig: { metrics: ['EventCount'] },
        loggingConfig: { systemLogLevel: 'WARN' },
      }),
    );

    expect(warnings).toEqual([]);
  });

  it('says a Glue registry and registry credentials are not emulated', () => {
    const warnings = lintEventSource(
      kafkaSource({
        maximumBatchingWindow: 1,
        provisionedPollerConfig: { minimumPollers: 1 },
        schemaRegistryConfig: {
          schemaRegistryUri: 'arn:aws:glue:eu-west-1:123456789012:registry/users',
          accessConfigs: [{ type: 'BASIC_AUTH', uri: 'arn:aws:secretsmanager:x' }],
        },
      }),
    );

    expect(warnings).toEqual([
      `${where}.schemaRegistryConfig: only a Confluent-compatible registry's http(s) URL is emulated; this event source will not start locally`,
      `${where}.schemaRegistryConfig.accessConfigs: not emulated; the local registry client connects without authentication`,
    ]);
  });

  it('warns that authentication and TLS are not emulated', () => {
    const warnings = lintEventSource(
      kafkaSource({
        maximumBatchingWindow: 1,
        accessConfigurations: { saslScram512Auth: 'arn:aws:secretsmanager:x', vpcSubnet: 'subnet-1' },
      }),
    );

    expect(warnings).toEqual([
      `${where}: saslScram512Auth not emulated; the local consumer connects without authentication or TLS`,
    ]);
  });

  it('warns about saslScram512 on an msk event', () => {
    const [source] = resolveEventSources({
      service: 'svc',
      stage: 'local',
      functions: {
        sinkUsers: {
          events: [
            {
              msk: {
                arn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/c/1',
                topic: 'users_created',
                maximumBatchingWindow: 1,
                saslScram512: 'arn:aws:secretsmanager:x',
              },
            },
          ],
        },
      },
      settings: { brokers: ['127.0.0.1:9092'] },
    });
    if (source === undefined) throw new Error('no event source');

    expect(lintEventSource(source)).toEqual([
      'functions.sinkUsers.events[0].msk: saslScram512 not emulated; the local consumer connects without authentication or TLS',
    ]);
  });

  it('warns that an ARN destination is not emulated', () => {
    const arn = 'arn:aws:sqs:eu-west-1:123456789012:dlq';

    const warnings = lintEventSource(
      kafkaSource({
        maximumBatchingWindow: 1,
        provisionedPollerConfig: {},
        onFailureDestination: arn,
        maximumRetryAttempts: 3,
      }),
    );

    expect(warnings).toContain(
      `${where}.onFailureDestination: only kafka://<topic> destinations are emulated; records that fail locally are discarded with a log line instead of going to ${arn}`,
    );
  });

  it('warns that a destination with no maximumRetryAttempts stops after 10 retries', () => {
    const warnings = lintEventSource(
      kafkaSource({
        maximumBatchingWindow: 1,
        provisionedPollerConfig: {},
        onFailureDestination: 'kafka://dlq',
      }),
    );

    expect(warnings).toContain(
      `${where}: with an on-failure destination and no maximumRetryAttempts, AWS stops after 10 retries (and so does the emulation)`,
    );
  });

  it('warns that finite retries without a destination discard records', () => {
    const warnings = lintEventSource(
      kafkaSource({ maximumBatchingWindow: 1, provisionedPollerConfig: {}, maximumRetryAttempts: 2 }),
    );

    expect(warnings).toContain(
      `${where}: maximumRetryAttempts 2 with no onFailureDestination discards records after their last retry`,
    );
  });

  it('warns about enabled false', () => {
    expect(lintEventSource(kafkaSource({ maximumBatchingWindow: 1, enabled: false }))).toEqual([
      `${where}: enabled is false; the local consumer does not run either, until UpdateEventSourceMapping enables it`,
    ]);
  });

  it('warns when maximumBatchingWindow is unset', () => {
    expect(lintEventSource(kafkaSource({}))).toEqual([
      `${where}: maximumBatchingWindow unset; AWS's default for Kafka, 500 ms, applies`,
    ]);
  });

  it('warns about filter operators that are not emulated, in nested patterns too', () => {
    const warnings = lintEventSource(
      kafkaSource({
        maximumBatchingWindow: 1,
        filterPatterns: [
          { value: { country: ['NL', { prefix: 'B' }] } },
          { value: { address: { ip: [{ cidr: '10.0.0.0/8' }] } } },
        ],
      }),
    );

    expect(warnings).toEqual([
      `${where}.filterPatterns[1].value.address.ip[0]: operator "cidr" is not emulated and never matches locally`,
    ]);
  });
});
