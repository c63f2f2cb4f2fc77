/**
 * The options of one `kafka` or `msk` event in serverless.yml, read with the keys AWS uses, checked, and
 * given the defaults of Lambda's Kafka event-source mapping. Pure: no I/O. The lint in lint.ts and the runner
 * in runner.ts both start from {@link resolveEventSources}.
 */
import { z } from 'zod';
import { describeIssues, PipelineError } from '../../lib/errors.ts';
import { ports } from '../../lib/topology.ts';
import { type SystemLogLevel, systemLogLevels } from './system-log.ts';

/** Lambda's own limits and defaults for Kafka event sources. */
export const awsLimits = {
  batchSize: { default: 100, max: 10_000 },
  /** Seconds; AWS's default for Kafka sources is 500 ms. */
  maximumBatchingWindow: { defaultMs: 500, maxSeconds: 300 },
  /** Bytes of a synchronous invocation's request payload. */
  payloadBytes: 6 * 1024 * 1024,
  maximumRetryAttempts: { max: 10_000 },
  /** With an on-failure destination, AWS caps "infinite" retries at this many. */
  retriesWithDestination: 10,
  maximumRecordAgeInSeconds: { min: 60, max: 604_800 },
  /** Provisioned mode, for Kafka sources: pollers at least and at most (AWS's defaults 1 and 200). */
  minimumPollers: { default: 1, max: 200 },
  maximumPollers: { default: 200, max: 2_000 },
  /** Secrets a schema registry's `accessConfigs` may name. */
  registryAccessConfigs: { max: 2 },
} as const;

/** The metrics a Kafka event-source mapping can publish (`MetricsConfig.Metrics`). */
export const mappingMetrics = ['EventCount', 'ErrorCount', 'KafkaMetrics'] as const;
/** How a schema registry authenticates Lambda (`SchemaRegistryConfig.AccessConfigs[].Type`). */
export const registryAuthTypes = [
  'BASIC_AUTH',
  'CLIENT_CERTIFICATE_TLS_AUTH',
  'SERVER_ROOT_CA_CERTIFICATE',
] as const;

// A string, or CloudFormation still to resolve (Ref, Fn::GetAtt, Fn::ImportValue...) on AWS stages.
const stringOrIntrinsic = z.union([z.string().min(1), z.record(z.string(), z.unknown())]);

/** `provisionedPollerConfig`: provisioned mode, which AWS requires for the keys in lint.ts's list. */
const provisionedPollerSchema = z
  .strictObject({
    minimumPollers: z.number().int().min(1).max(awsLimits.minimumPollers.max).optional(),
    maximumPollers: z.number().int().min(1).max(awsLimits.maximumPollers.max).optional(),
    /** MSK and self-managed Kafka only: mappings of one VPC that share their pollers' capacity. */
    pollerGroupName: z.string().min(1).optional(),
  })
  .refine(
    (p) =>
      (p.minimumPollers ?? awsLimits.minimumPollers.default) <=
      (p.maximumPollers ?? awsLimits.maximumPollers.default),
    'minimumPollers must not exceed maximumPollers',
  );

/**
 * `schemaRegistryConfig`: the registry the mapping validates records against (provisioned mode only). AWS's
 * `SchemaRegistryConfig`, in osls's camelCase: a Confluent-compatible registry's URL with its secret, or a Glue
 * registry's ARN with no `accessConfigs` (the function's role reads it).
 */
const schemaRegistrySchema = z.strictObject({
  schemaRegistryUri: stringOrIntrinsic,
  eventRecordFormat: z.enum(['JSON', 'SOURCE']).optional(),
  accessConfigs: z
    .array(z.strictObject({ type: z.enum(registryAuthTypes), uri: stringOrIntrinsic }))
    .max(awsLimits.registryAccessConfigs.max)
    .optional(),
  schemaValidationConfigs: z.array(z.strictObject({ attribute: z.enum(['KEY', 'VALUE']) })).optional(),
});
export type SchemaRegistryOptions = z.output<typeof schemaRegistrySchema>;

const startingPositions = ['LATEST', 'TRIM_HORIZON', 'AT_TIMESTAMP'] as const;

/** The keys this plugin reads from a `kafka` or `msk` event, beyond osls's own. */
const commonSchema = z.object({
  topic: z.string().min(1),
  batchSize: z.number().int().min(1).max(awsLimits.batchSize.max).default(awsLimits.batchSize.default),
  maximumBatchingWindow: z.number().min(0).max(awsLimits.maximumBatchingWindow.maxSeconds).optional(),
  enabled: z.boolean().default(true),
  startingPosition: z.enum(startingPositions).default('TRIM_HORIZON'),
  startingPositionTimestamp: z.number().nonnegative().optional(),
  consumerGroupId: z.string().min(1).max(200).optional(),
  filterPatterns: z.array(z.record(z.string(), z.unknown())).max(10).default([]),
  onFailureDestination: z.string().min(1).optional(),
  maximumRetryAttempts: z.number().int().min(-1).max(awsLimits.maximumRetryAttempts.max).default(-1),
  maximumRecordAgeInSeconds: z
    .number()
    .int()
    .refine(
      (n) =>
        n === -1 ||
        (n >= awsLimits.maximumRecordAgeInSeconds.min && n <= awsLimits.maximumRecordAgeInSeconds.max),
      'must be -1 (no limit) or 60 to 604800',
    )
    .default(-1),
  bisectBatchOnFunctionError: z.boolean().default(false),
  functionResponseType: z.literal('ReportBatchItemFailures').optional(),
  provisionedPollerConfig: provisionedPollerSchema.optional(),
  schemaRegistryConfig: schemaRegistrySchema.optional(),
  metricsConfig: z
    .strictObject({ metrics: z.array(z.enum(mappingMetrics)).max(mappingMetrics.length) })
    .optional(),
  loggingConfig: z.strictObject({ systemLogLevel: z.enum(systemLogLevels) }).optional(),
});

const kafkaEventSchema = commonSchema.extend({
  bootstrapServers: z.array(z.string().min(1)).min(1),
  accessConfigurations: z.record(z.string(), z.unknown()).optional(),
});

const mskEventSchema = commonSchema.extend({
  // A string or unresolved CloudFormation (Ref, Fn::ImportValue...); without it the event would carry no
  // eventSourceArn, which AWS always sends for MSK.
  arn: z.union([z.string().min(1), z.record(z.string(), z.unknown())], {
    error: 'must be the MSK cluster ARN',
  }),
  saslScram512: z.string().optional(),
});

/** Where this plugin reads its own settings: `custom.offlineKafka`. */
export const pluginSettingsSchema = z
  .object({
    /** Brokers to consume from for `msk` events: a cluster ARN cannot be resolved locally. */
    brokers: z.array(z.string().min(1)).min(1).optional(),
    /** Where serverless-offline serves the Lambda Invoke API; defaults to its `lambdaPort`. */
    lambdaEndpoint: z.string().url().optional(),
    /** First and largest delay between retries of a failed batch, in ms. */
    retryBaseDelayMs: z.number().int().min(0).default(250),
    retryMaxDelayMs: z.number().int().min(0).default(5_000),
    /** How long Ctrl-C waits for invocations in flight before giving up on them (their offsets stay uncommitted). */
    shutdownTimeoutMs: z.number().int().min(0).default(30_000),
    /**
     * The port of the event-source-mapping API on 127.0.0.1 (0 picks a free one). A string from a variable is
     * read as a number; null (a variable resolved to null) means unset.
     */
    /**
     * The system-log level of every event source here, over each event's `loggingConfig` (tests that read
     * the line of each invocation set DEBUG). A string from a variable; null or '' means unset.
     */
    systemLogLevel: z
      .union([z.enum(systemLogLevels), z.literal(''), z.null()])
      .optional()
      .transform((level) => (level ? level : undefined)),
    controlPort: z.coerce
      .number()
      .int()
      .min(0)
      .max(65_535)
      .nullish()
      .transform((port) => port ?? ports.offlineEventSources),
  })
  .default({
    retryBaseDelayMs: 250,
    retryMaxDelayMs: 5_000,
    shutdownTimeoutMs: 30_000,
    systemLogLevel: undefined,
    controlPort: ports.offlineEventSources,
  });
export type PluginSettings = z.output<typeof pluginSettingsSchema>;

/** An on-failure destination: a Kafka topic (emulated), or an ARN (not emulated here; see the lint). */
export type FailureDestination = { kind: 'kafka'; topic: string } | { kind: 'arn'; arn: string };

/** Everything the runner needs for one event source, with AWS's defaults applied. */
export interface EventSource {
  /** The function's key in serverless.yml. */
  functionKey: string;
  /** The deployed function name, which serverless-offline's Invoke API also uses. */
  functionName: string;
  /** Position of the event among the function's events, for messages. */
  index: number;
  type: 'kafka' | 'msk';
  eventSource: 'SelfManagedKafka' | 'aws:kafka';
  /** For `msk`: the cluster ARN as written (a string, or unresolved CloudFormation). */
  eventSourceArn?: string;
  /** Brokers the local consumer connects to. */
  brokers: string[];
  /** The `bootstrapServers` string the event carries. */
  bootstrapServers: string;
  topic: string;
  consumerGroupId: string;
  batchSize: number;
  maximumBatchingWindowMs: number;
  startingPosition: (typeof startingPositions)[number];
  /** Milliseconds since the epoch (AWS takes seconds). */
  startingPositionTimestampMs?: number;
  filterPatterns: Array<Record<string, unknown>>;
  enabled: boolean;
  /** -1 is unlimited, except with an on-failure destination, where AWS stops after 10. */
  maximumRetryAttempts: number;
  maximumRecordAgeMs?: number;
  bisectBatchOnFunctionError: boolean;
  reportBatchItemFailures: boolean;
  onFailure?: FailureDestination;
  /** Provisioned mode's pollers, as the event writes them. */
  provisionedPollers?: z.output<typeof provisionedPollerSchema>;
  /**
   * In provisioned mode, how many invocations may be in flight at once across the partitions (pollers.ts):
   * `maximumPollers`, or AWS's default 200. Unset in on-demand mode, where only the partitions bound it.
   */
  maximumPollers?: number;
  /** The schema registry the mapping validates records against (not emulated yet). */
  schemaRegistry?: SchemaRegistryOptions;
  /** The metrics the mapping publishes on AWS; none when unset (the local stats count them all). */
  metrics?: ReadonlyArray<(typeof mappingMetrics)[number]>;
  /** The mapping's own system-log level (`loggingConfig`, system-log.ts); unset: no mapping logs on AWS. */
  systemLogLevel?: SystemLogLevel;
  /** The event exactly as written, for the lint. */
  raw: Record<string, unknown>;
}

/** Thrown when an event's options cannot be emulated at all; the message names the function and the key. */
export class EventSourceConfigError extends PipelineError {
  override readonly name: string = 'EventSourceConfigError';
  constructor(message: string) {
    super(message, { code: 'EVENT_SOURCE_CONFIG_INVALID', retryable: false });
  }
}

/** `kafka://topic` → a Kafka destination; an ARN → kept as is. */
export function parseDestination(value: string): FailureDestination {
  if (value.startsWith('kafka://')) {
    const topic = value.slice('kafka://'.length);
    if (topic === '') throw new EventSourceConfigError(`onFailureDestination "${value}" names no topic`);
    return { kind: 'kafka', topic };
  }
  return { kind: 'arn', arn: value };
}

/** The consumer group a function gets when serverless.yml names none: stable across restarts, never random. */
export function defaultGroupId(service: string, stage: string, functionKey: string): string {
  return `${service}-${stage}-${functionKey}`;
}

/** What {@link resolveEventSources} needs from the resolved serverless.yml. */
export interface ServiceView {
  service: string;
  stage: string;
  functions: Record<string, { name?: string; events?: unknown[] }>;
  settings?: unknown;
}

/**
 * Finds every `kafka` and `msk` event of the service and resolves its options.
 *
 * @throws {@link EventSourceConfigError} naming the function, the event and every invalid key
 */
export function resolveEventSources(view: ServiceView): EventSource[] {
  const settings = parseSettings(view.settings);
  const sources: EventSource[] = [];
  for (const [functionKey, fn] of Object.entries(view.functions)) {
    (fn.events ?? []).forEach((event, index) => {
      if (typeof event !== 'object' || event === null) return;
      const where = `functions.${functionKey}.events[${index}]`;
      const name = fn.name ?? `${view.service}-${view.stage}-${functionKey}`;
      if ('kafka' in event) {
        const raw = asRecord(event.kafka);
        const parsed = kafkaEventSchema.safeParse(raw);
        if (!parsed.success) throw invalid(`${where}.kafka`, parsed.error);
        const bootstrapServers = parsed.data.bootstrapServers.join(',');
        sources.push(
          build(view, functionKey, name, index, 'kafka', parsed.data, raw, {
            brokers: splitBrokers(bootstrapServers),
            bootstrapServers,
          }),
        );
      } else if ('msk' in event) {
        const raw = asRecord(event.msk);
        const parsed = mskEventSchema.safeParse(raw);
        if (!parsed.success) throw invalid(`${where}.msk`, parsed.error);
        if (!settings.brokers) {
          throw new EventSourceConfigError(
            `${where}.msk: an MSK cluster ARN cannot be reached locally; set custom.offlineKafka.brokers to the brokers to consume from`,
          );
        }
        const arn = typeof parsed.data.arn === 'string' ? parsed.data.arn : JSON.stringify(parsed.data.arn);
        sources.push(
          build(view, functionKey, name, index, 'msk', parsed.data, raw, {
            brokers: settings.brokers,
            bootstrapServers: settings.brokers.join(','),
            eventSourceArn: arn,
          }),
        );
      }
    });
  }
  return sources;
}

/** Validates `custom.offlineKafka`. */
export function parseSettings(input: unknown): PluginSettings {
  const parsed = pluginSettingsSchema.safeParse(input ?? undefined);
  if (!parsed.success) throw invalid('custom.offlineKafka', parsed.error);
  return parsed.data;
}

function build(
  view: ServiceView,
  functionKey: string,
  functionName: string,
  index: number,
  type: 'kafka' | 'msk',
  opts: z.output<typeof commonSchema>,
  raw: Record<string, unknown>,
  connection: { brokers: string[]; bootstrapServers: string; eventSourceArn?: string },
): EventSource {
  const where = `functions.${functionKey}.events[${index}].${type}`;
  if (opts.startingPosition === 'AT_TIMESTAMP' && opts.startingPositionTimestamp === undefined) {
    throw new EventSourceConfigError(
      `${where}: startingPosition AT_TIMESTAMP needs startingPositionTimestamp`,
    );
  }
  const onFailure = opts.onFailureDestination ? parseDestination(opts.onFailureDestination) : undefined;
  if (onFailure?.kind === 'kafka' && onFailure.topic === opts.topic) {
    throw new EventSourceConfigError(
      `${where}: onFailureDestination is the source topic "${opts.topic}"; AWS refuses this loop`,
    );
  }
  return {
    functionKey,
    functionName,
    index,
    type,
    eventSource: type === 'msk' ? 'aws:kafka' : 'SelfManagedKafka',
    ...(connection.eventSourceArn === undefined ? {} : { eventSourceArn: connection.eventSourceArn }),
    brokers: connection.brokers,
    bootstrapServers: connection.bootstrapServers,
    topic: opts.topic,
    consumerGroupId: opts.consumerGroupId ?? defaultGroupId(view.service, view.stage, functionKey),
    batchSize: opts.batchSize,
    maximumBatchingWindowMs:
      opts.maximumBatchingWindow === undefined
        ? awsLimits.maximumBatchingWindow.defaultMs
        : Math.round(opts.maximumBatchingWindow * 1000),
    startingPosition: opts.startingPosition,
    ...(opts.startingPositionTimestamp === undefined
      ? {}
      : { startingPositionTimestampMs: Math.round(opts.startingPositionTimestamp * 1000) }),
    filterPatterns: opts.filterPatterns,
    enabled: opts.enabled,
    maximumRetryAttempts:
      opts.maximumRetryAttempts === -1 && onFailure
        ? awsLimits.retriesWithDestination
        : opts.maximumRetryAttempts,
    ...(opts.maximumRecordAgeInSeconds === -1
      ? {}
      : { maximumRecordAgeMs: opts.maximumRecordAgeInSeconds * 1000 }),
    bisectBatchOnFunctionError: opts.bisectBatchOnFunctionError,
    reportBatchItemFailures: opts.functionResponseType === 'ReportBatchItemFailures',
    ...(onFailure ? { onFailure } : {}),
    ...(opts.provisionedPollerConfig
      ? {
          provisionedPollers: opts.provisionedPollerConfig,
          maximumPollers: opts.provisionedPollerConfig.maximumPollers ?? awsLimits.maximumPollers.default,
        }
      : {}),
    ...(opts.schemaRegistryConfig ? { schemaRegistry: opts.schemaRegistryConfig } : {}),
    ...(opts.metricsConfig ? { metrics: opts.metricsConfig.metrics } : {}),
    ...(opts.loggingConfig ? { systemLogLevel: opts.loggingConfig.systemLogLevel } : {}),
    raw,
  };
}

function splitBrokers(servers: string): string[] {
  return servers
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value))
    : {};
}

function invalid(where: string, error: z.ZodError): EventSourceConfigError {
  return new EventSourceConfigError(`${where}: ${describeIssues(error)}`);
}
