/**
 * The keys of a `kafka` or `msk` event that osls does not compile into its `AWS::Lambda::EventSourceMapping`,
 * as CloudFormation properties. Pure: it reads a resolved event source and the properties osls wrote, and
 * returns the merged properties; plugin.ts finds the resource and prints {@link compiledKeys} on `sls package`.
 *
 * These keys live on the event itself, not in `resources.extensions`, so the local event source reads the same
 * values that AWS is given: a stage's `kafka` event and another's `msk` event can take them from one parameter.
 */
import type { EventSource } from './options.ts';

/** The event keys this module compiles, in the order they are reported, each with the property it becomes. */
const compiledKeyProperties: Array<[key: string, property: string, appliesTo: (s: EventSource) => boolean]> =
  [
    ['maximumRetryAttempts', 'MaximumRetryAttempts', (s) => s.raw.maximumRetryAttempts !== undefined],
    [
      'maximumRecordAgeInSeconds',
      'MaximumRecordAgeInSeconds',
      (s) => s.raw.maximumRecordAgeInSeconds !== undefined,
    ],
    [
      'bisectBatchOnFunctionError',
      'BisectBatchOnFunctionError',
      (s) => s.raw.bisectBatchOnFunctionError !== undefined,
    ],
    ['functionResponseType', 'FunctionResponseTypes', (s) => s.raw.functionResponseType !== undefined],
    // osls's `kafka` event compiles its own destination; its `msk` event has none.
    ['onFailureDestination', 'DestinationConfig', (s) => s.type === 'msk' && s.onFailure !== undefined],
    // osls writes the window only when it is truthy, so the low-latency setting, 0, would fall back to AWS's 0.5 s.
    ['maximumBatchingWindow: 0', 'MaximumBatchingWindowInSeconds', (s) => s.raw.maximumBatchingWindow === 0],
    [
      'provisionedPollerConfig.pollerGroupName',
      'ProvisionedPollerConfig.PollerGroupName',
      (s) => s.provisionedPollers?.pollerGroupName !== undefined,
    ],
    [
      'schemaRegistryConfig',
      'AmazonManagedKafkaEventSourceConfig.SchemaRegistryConfig',
      (s) => s.type === 'msk' && s.schemaRegistry !== undefined,
    ],
    [
      'schemaRegistryConfig',
      'SelfManagedKafkaEventSourceConfig.SchemaRegistryConfig',
      (s) => s.type === 'kafka' && s.schemaRegistry !== undefined,
    ],
    ['metricsConfig', 'MetricsConfig', (s) => s.metrics !== undefined],
    ['loggingConfig', 'LoggingConfig', (s) => s.systemLogLevel !== undefined],
  ];

/** The event keys of `source` that osls cannot express and this plugin compiles, with their properties. */
export function compiledKeys(source: EventSource): Array<{ key: string; property: string }> {
  return compiledKeyProperties
    .filter(([, , applies]) => applies(source))
    .map(([key, property]) => ({ key, property }));
}

/**
 * One line saying which keys of `source` osls cannot compile and which properties this plugin makes of them;
 * undefined when there are none. `sls package` and `npx sls offline-kafka` print it.
 */
export function describeCompiledKeys(source: EventSource): string | undefined {
  const keys = compiledKeys(source);
  if (keys.length === 0) return undefined;
  return `functions.${source.functionKey}.events[${source.index}].${source.type}: osls's ${source.type} event cannot express ${keys.map((k) => k.key).join(', ')}; offline-kafka compiles them into the EventSourceMapping as ${keys.map((k) => k.property).join(', ')}`;
}

/**
 * The mapping's properties with the keys osls left out added to what osls compiled.
 *
 * @param source - the resolved event source
 * @param compiled - the `Properties` osls wrote for its mapping (not changed)
 * @returns a new `Properties` object
 */
export function compileMappingProperties(
  source: EventSource,
  compiled: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const props: Record<string, unknown> = { ...compiled };
  const raw = source.raw;
  if (raw.maximumRetryAttempts !== undefined) props.MaximumRetryAttempts = raw.maximumRetryAttempts;
  if (raw.maximumRecordAgeInSeconds !== undefined)
    props.MaximumRecordAgeInSeconds = raw.maximumRecordAgeInSeconds;
  if (raw.bisectBatchOnFunctionError !== undefined) {
    props.BisectBatchOnFunctionError = raw.bisectBatchOnFunctionError;
  }
  if (raw.functionResponseType !== undefined) props.FunctionResponseTypes = [raw.functionResponseType];
  if (source.type === 'msk' && source.onFailure !== undefined) {
    const destination =
      source.onFailure.kind === 'kafka' ? `kafka://${source.onFailure.topic}` : source.onFailure.arn;
    props.DestinationConfig = { OnFailure: { Destination: destination } };
  }
  if (raw.maximumBatchingWindow === 0) props.MaximumBatchingWindowInSeconds = 0;

  const pollers = pollerConfig(source);
  if (pollers !== undefined) {
    props.ProvisionedPollerConfig = { ...asRecord(compiled.ProvisionedPollerConfig), ...pollers };
  }
  const registry = schemaRegistryConfig(source);
  if (registry !== undefined) {
    const configKey =
      source.type === 'msk' ? 'AmazonManagedKafkaEventSourceConfig' : 'SelfManagedKafkaEventSourceConfig';
    props[configKey] = { ...asRecord(compiled[configKey]), SchemaRegistryConfig: registry };
  }
  if (source.metrics !== undefined) props.MetricsConfig = { Metrics: [...source.metrics] };
  if (source.systemLogLevel !== undefined) props.LoggingConfig = { SystemLogLevel: source.systemLogLevel };
  return props;
}

/** `ProvisionedPollerConfig` as AWS spells it (in the template, and in GetEventSourceMapping's answer). */
export function pollerConfig(
  source: EventSource,
): { MinimumPollers?: number; MaximumPollers?: number; PollerGroupName?: string } | undefined {
  const pollers = source.provisionedPollers;
  if (pollers === undefined) return undefined;
  return {
    ...(pollers.minimumPollers === undefined ? {} : { MinimumPollers: pollers.minimumPollers }),
    ...(pollers.maximumPollers === undefined ? {} : { MaximumPollers: pollers.maximumPollers }),
    ...(pollers.pollerGroupName === undefined ? {} : { PollerGroupName: pollers.pollerGroupName }),
  };
}

/** `SchemaRegistryConfig` as AWS spells it; its URI and secrets may be CloudFormation still to resolve. */
export function schemaRegistryConfig(source: EventSource): Record<string, unknown> | undefined {
  const registry = source.schemaRegistry;
  if (registry === undefined) return undefined;
  return {
    SchemaRegistryURI: registry.schemaRegistryUri,
    ...(registry.eventRecordFormat === undefined ? {} : { EventRecordFormat: registry.eventRecordFormat }),
    ...(registry.accessConfigs === undefined
      ? {}
      : { AccessConfigs: registry.accessConfigs.map((a) => ({ Type: a.type, URI: a.uri })) }),
    ...(registry.schemaValidationConfigs === undefined
      ? {}
      : {
          SchemaValidationConfigs: registry.schemaValidationConfigs.map((v) => ({ Attribute: v.attribute })),
        }),
  };
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value))
    : {};
}
