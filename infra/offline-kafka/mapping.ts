/**
 * The event sources as Lambda's API shows them: each `kafka`/`msk` event as an `EventSourceMappingConfiguration`
 * with AWS's field names, a UUID that stays the same across restarts, the states a mapping goes through, and
 * the requests and error answers of the three operations the local control API serves (List, Get and
 * Update). Pure: no I/O, no clock; the controller (control.ts) and the HTTP adapter (control-server.ts) bring
 * the time and the sockets.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { describeIssues } from '../../lib/errors.ts';
import { pollerConfig, schemaRegistryConfig } from './compile.ts';
import type { EventSource } from './options.ts';

/** The account in the ARNs the local event source makes (the runner's function ARN, the mappings' ARNs). */
export const localAccount = '000000000000';

/** The base path of Lambda's event-source-mapping operations. */
export const mappingsPath = '/2015-03-31/event-source-mappings';

/** A function's ARN as the local account would have it. */
export function functionArn(region: string, functionName: string): string {
  return `arn:aws:lambda:${region}:${localAccount}:function:${functionName}`;
}

// A fixed namespace for this plugin's name-based UUIDs (RFC 9562 version 5), so a mapping keeps its UUID.
const uuidNamespace = Buffer.from('6f1c0d3a9b2e4c5d8e7f0a1b2c3d4e5f', 'hex');

/**
 * The mapping's UUID: a version-5 UUID of the service, stage, function and topic, so it is the same on every
 * start and a client (the console) can keep it. `occurrence` tells apart a second event of the same function on
 * the same topic (AWS refuses such a duplicate for one cluster; serverless.yml could still hold one).
 */
export function mappingUuid(
  service: string,
  stage: string,
  functionKey: string,
  topic: string,
  occurrence = 0,
): string {
  const name = [service, stage, functionKey, topic, ...(occurrence > 0 ? [String(occurrence)] : [])].join(
    '\0',
  );
  const hash = createHash('sha1').update(uuidNamespace).update(name, 'utf8').digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The UUID of every source, in order; a repeated function and topic gets its occurrence number. */
export function mappingUuids(service: string, stage: string, sources: readonly EventSource[]): string[] {
  const seen = new Map<string, number>();
  return sources.map((source) => {
    const key = `${source.functionKey}\0${source.topic}`;
    const occurrence = seen.get(key) ?? 0;
    seen.set(key, occurrence + 1);
    return mappingUuid(service, stage, source.functionKey, source.topic, occurrence);
  });
}

/** The states of a mapping the local event source goes through (AWS also has Creating, Updating, Deleting). */
export type MappingState = 'Enabled' | 'Disabled' | 'Enabling' | 'Disabling';

/** Where a mapping stands: what AWS reports besides its configuration. */
export interface MappingStatus {
  state: MappingState;
  /** AWS's `StateTransitionReason`: `USER_INITIATED` after serverless.yml or an update, or `LAMBDA_INITIATED`. */
  reason: 'USER_INITIATED' | 'LAMBDA_INITIATED';
  /** When the mapping was last updated or changed state, in ms since the epoch. */
  lastModifiedMs: number;
  /** AWS's `LastProcessingResult`, e.g. `OK` or `PROBLEM: Function call failed`. */
  lastProcessingResult: string;
}

/** The subset of Lambda's `EventSourceMappingConfiguration` a Kafka mapping carries, with AWS's names. */
export interface EventSourceMappingConfiguration {
  UUID: string;
  EventSourceMappingArn: string;
  FunctionArn: string;
  EventSourceArn?: string;
  Topics: string[];
  StartingPosition: EventSource['startingPosition'];
  /** Seconds since the epoch, as AWS serializes timestamps. */
  StartingPositionTimestamp?: number;
  BatchSize: number;
  MaximumBatchingWindowInSeconds: number;
  FilterCriteria?: { Filters: Array<{ Pattern: string }> };
  MaximumRetryAttempts: number;
  MaximumRecordAgeInSeconds: number;
  BisectBatchOnFunctionError: boolean;
  FunctionResponseTypes: string[];
  DestinationConfig?: { OnFailure: { Destination: string } };
  SelfManagedEventSource?: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: string[] } };
  SelfManagedKafkaEventSourceConfig?: {
    ConsumerGroupId: string;
    SchemaRegistryConfig?: Record<string, unknown>;
  };
  AmazonManagedKafkaEventSourceConfig?: {
    ConsumerGroupId: string;
    SchemaRegistryConfig?: Record<string, unknown>;
  };
  ProvisionedPollerConfig?: { MinimumPollers?: number; MaximumPollers?: number; PollerGroupName?: string };
  MetricsConfig?: { Metrics: string[] };
  LoggingConfig?: { SystemLogLevel: string };
  State: MappingState;
  StateTransitionReason: string;
  /** Seconds since the epoch, with milliseconds. */
  LastModified: number;
  LastProcessingResult: string;
}

/** A mapping's configuration as GetEventSourceMapping returns it. */
export function toConfiguration(
  source: EventSource,
  uuid: string,
  status: MappingStatus,
  region: string,
): EventSourceMappingConfiguration {
  const pollers = pollerConfig(source);
  const registry = schemaRegistryConfig(source);
  const kafkaConfig = {
    ConsumerGroupId: source.consumerGroupId,
    ...(registry === undefined ? {} : { SchemaRegistryConfig: registry }),
  };
  const destination =
    source.onFailure === undefined
      ? undefined
      : source.onFailure.kind === 'kafka'
        ? `kafka://${source.onFailure.topic}`
        : source.onFailure.arn;
  return {
    UUID: uuid,
    EventSourceMappingArn: `arn:aws:lambda:${region}:${localAccount}:event-source-mapping:${uuid}`,
    FunctionArn: functionArn(region, source.functionName),
    ...(source.eventSourceArn === undefined ? {} : { EventSourceArn: source.eventSourceArn }),
    Topics: [source.topic],
    StartingPosition: source.startingPosition,
    ...(source.startingPositionTimestampMs === undefined
      ? {}
      : { StartingPositionTimestamp: source.startingPositionTimestampMs / 1000 }),
    BatchSize: source.batchSize,
    // The emulation honours fractions of a second (AWS takes whole seconds); this shows what runs.
    MaximumBatchingWindowInSeconds: source.maximumBatchingWindowMs / 1000,
    ...(source.filterPatterns.length === 0
      ? {}
      : { FilterCriteria: { Filters: source.filterPatterns.map((p) => ({ Pattern: JSON.stringify(p) })) } }),
    MaximumRetryAttempts: source.maximumRetryAttempts,
    MaximumRecordAgeInSeconds:
      source.maximumRecordAgeMs === undefined ? -1 : Math.round(source.maximumRecordAgeMs / 1000),
    BisectBatchOnFunctionError: source.bisectBatchOnFunctionError,
    FunctionResponseTypes: source.reportBatchItemFailures ? ['ReportBatchItemFailures'] : [],
    ...(destination === undefined ? {} : { DestinationConfig: { OnFailure: { Destination: destination } } }),
    ...(source.type === 'kafka'
      ? {
          SelfManagedEventSource: {
            Endpoints: { KAFKA_BOOTSTRAP_SERVERS: source.bootstrapServers.split(',') },
          },
          SelfManagedKafkaEventSourceConfig: kafkaConfig,
        }
      : { AmazonManagedKafkaEventSourceConfig: kafkaConfig }),
    ...(pollers === undefined ? {} : { ProvisionedPollerConfig: pollers }),
    ...(source.metrics === undefined ? {} : { MetricsConfig: { Metrics: [...source.metrics] } }),
    ...(source.systemLogLevel === undefined
      ? {}
      : { LoggingConfig: { SystemLogLevel: source.systemLogLevel } }),
    State: status.state,
    StateTransitionReason: status.reason,
    LastModified: status.lastModifiedMs / 1000,
    LastProcessingResult: status.lastProcessingResult,
  };
}

// ------------------------------------------------------------------------------------------------ requests

/** An operation of the control API, read from the method and path of a request. */
export type Route =
  | { op: 'ListEventSourceMappings' }
  | { op: 'GetEventSourceMapping'; uuid: string }
  | { op: 'UpdateEventSourceMapping'; uuid: string }
  /** Local only: the counters CloudWatch would hold, and the last invocations. */
  | { op: 'LocalStats'; uuid: string }
  | { op: 'Unknown' };

/** Which operation a request asks for. */
export function routeOf(method: string, pathname: string): Route {
  if (pathname === mappingsPath || pathname === `${mappingsPath}/`) {
    return method === 'GET' ? { op: 'ListEventSourceMappings' } : { op: 'Unknown' };
  }
  if (!pathname.startsWith(`${mappingsPath}/`)) return { op: 'Unknown' };
  const parts = pathname.slice(mappingsPath.length + 1).split('/');
  let uuid: string;
  try {
    uuid = decodeURIComponent(parts[0] ?? '');
  } catch {
    return { op: 'Unknown' };
  }
  if (uuid === '') return { op: 'Unknown' };
  if (parts.length === 1) {
    if (method === 'GET') return { op: 'GetEventSourceMapping', uuid };
    if (method === 'PUT') return { op: 'UpdateEventSourceMapping', uuid };
  }
  if (parts.length === 2 && parts[1] === 'local-stats' && method === 'GET') return { op: 'LocalStats', uuid };
  return { op: 'Unknown' };
}

/** An error answer in the shape Lambda's REST JSON protocol gives it. */
export interface AwsErrorAnswer {
  status: number;
  type: string;
  body: Record<string, string>;
}

/**
 * An AWS error: the status and the body the SDK reads. Lambda's model names the message `Message` on some
 * errors and `message` on others; each is spelled here as the model spells it.
 */
export function awsError(
  type:
    | 'ResourceNotFoundException'
    | 'ResourceInUseException'
    | 'InvalidParameterValueException'
    | 'InvalidRequestContentException'
    | 'UnknownOperationException',
  message: string,
): AwsErrorAnswer {
  switch (type) {
    case 'ResourceNotFoundException':
      return { status: 404, type, body: { Type: 'User', Message: message } };
    case 'ResourceInUseException':
      return { status: 400, type, body: { Type: 'User', Message: message } };
    case 'InvalidParameterValueException':
    case 'InvalidRequestContentException':
      return { status: 400, type, body: { Type: 'User', message } };
    case 'UnknownOperationException':
      return { status: 404, type, body: { message } };
  }
}

/** ListEventSourceMappings' query: the filters and the page. */
export interface ListQuery {
  functionName?: string;
  eventSourceArn?: string;
  marker?: string;
  maxItems?: number;
}

/** Reads ListEventSourceMappings' query string. */
export function parseListQuery(params: URLSearchParams): ListQuery | AwsErrorAnswer {
  const query: ListQuery = {};
  const fn = params.get('FunctionName');
  if (fn) query.functionName = fn;
  const arn = params.get('EventSourceArn');
  if (arn) query.eventSourceArn = arn;
  const marker = params.get('Marker');
  if (marker) query.marker = marker;
  const max = params.get('MaxItems');
  if (max !== null) {
    const n = Number(max);
    if (!Number.isInteger(n) || n < 1 || n > 10_000) {
      return awsError('InvalidParameterValueException', 'MaxItems must be an integer from 1 to 10000');
    }
    query.maxItems = n;
  }
  return query;
}

/**
 * The function name a `FunctionName` parameter means: a name, a full or partial ARN, with or without a version
 * or alias (which the local mappings do not have, so it is dropped).
 */
export function functionNameOf(value: string): string {
  const match =
    /^(?:arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]*:)?(?:\d{12}:)?(?:function:)?([^:]+)(?::[^:]+)?$/.exec(value);
  return match?.[1] ?? value;
}

/** One page of the configurations that pass the query's filters, with AWS's `NextMarker` when more follow. */
export function listPage(
  configurations: readonly EventSourceMappingConfiguration[],
  query: ListQuery,
): { EventSourceMappings: EventSourceMappingConfiguration[]; NextMarker?: string } | AwsErrorAnswer {
  const wanted = query.functionName === undefined ? undefined : functionNameOf(query.functionName);
  const matching = configurations.filter(
    (c) =>
      (wanted === undefined || functionNameOf(c.FunctionArn) === wanted) &&
      (query.eventSourceArn === undefined || c.EventSourceArn === query.eventSourceArn),
  );
  const start = query.marker === undefined ? 0 : Number(query.marker);
  if (!Number.isInteger(start) || start < 0 || start > matching.length) {
    return awsError('InvalidParameterValueException', `Marker ${query.marker} is not one this API gave`);
  }
  const end = start + (query.maxItems ?? 100);
  return {
    EventSourceMappings: matching.slice(start, end),
    ...(end < matching.length ? { NextMarker: String(end) } : {}),
  };
}

const updateSchema = z.record(z.string(), z.unknown());

/**
 * What an UpdateEventSourceMapping body asks for. Only `Enabled` can change locally; any other field is
 * refused unless it equals the current value, with a message naming where it is set instead.
 *
 * @param where - the event in serverless.yml, e.g. `functions.sink-users.events[0].kafka`
 */
export function parseUpdate(
  body: string,
  current: EventSourceMappingConfiguration,
  where: string,
): { enabled?: boolean } | AwsErrorAnswer {
  let json: unknown;
  try {
    json = body.trim() === '' ? {} : JSON.parse(body);
  } catch {
    return awsError('InvalidRequestContentException', 'Could not parse request body into json');
  }
  const parsed = updateSchema.safeParse(json);
  if (!parsed.success) {
    return awsError(
      'InvalidRequestContentException',
      `the body is not an object: ${describeIssues(parsed.error)}`,
    );
  }
  const { Enabled, FunctionName, ...rest } = parsed.data;
  if (Enabled !== undefined && typeof Enabled !== 'boolean') {
    return awsError('InvalidParameterValueException', 'Enabled must be true or false');
  }
  const now = new Map<string, unknown>(Object.entries(current));
  const unchanged = (key: string, value: unknown) =>
    now.has(key) && JSON.stringify(now.get(key)) === JSON.stringify(value);
  const changed = Object.entries(rest)
    .filter(([key, value]) => !unchanged(key, value))
    .map(([key]) => key);
  if (
    typeof FunctionName === 'string' &&
    functionNameOf(FunctionName) !== functionNameOf(current.FunctionArn)
  ) {
    changed.unshift('FunctionName');
  }
  if (changed.length > 0) {
    return awsError(
      'InvalidParameterValueException',
      `offline-kafka can change only Enabled locally; ${changed.join(', ')} ${changed.length === 1 ? 'comes' : 'come'} from ${where} in serverless.yml and take${changed.length === 1 ? 's' : ''} effect on the next sls offline start`,
    );
  }
  return Enabled === undefined ? {} : { enabled: Enabled };
}
