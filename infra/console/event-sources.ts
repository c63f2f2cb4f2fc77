/**
 * The event-source mappings, through Lambda's own API: the local event source (infra/offline-kafka, inside
 * `npm start`) serves ListEventSourceMappings and UpdateEventSourceMapping as Lambda's REST API does, so the
 * console calls it with the real SDK client, and a stage on AWS would call Lambda the same way. What AWS
 * publishes as CloudWatch metrics, and each invocation, come locally from one extra route,
 * `GET /2015-03-31/event-source-mappings/{UUID}/local-stats`.
 */
import {
  type EventSourceMappingConfiguration,
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { z } from 'zod';
import { describeIssues, errorText, isNetworkError } from '../../lib/errors.ts';
import { mappingMetrics } from '../offline-kafka/options.ts';
import { metricGroups } from '../offline-kafka/stats.ts';
import type { EventSourceView } from './api.ts';
import { ConsoleError, notFound } from './errors.ts';

/** What the console does with event-source mappings. */
export interface EventSourceClient {
  /** Every mapping, with its metrics and recent invocations. */
  list(): Promise<EventSourceView[]>;
  /** Enables or disables one mapping (as `aws lambda update-event-source-mapping --enabled`); returns it. */
  setEnabled(uuid: string, enabled: boolean): Promise<EventSourceView>;
}

const count = z.number().int().min(0);

const lag = z.number().min(0).nullable();

/**
 * The local-only route's answer: EventSourceView's `metricsConfig`, `metrics` and `invocations`. Only the
 * published groups' metrics are there.
 */
export const localStatsSchema = z.object({
  metricsConfig: z.array(z.enum(mappingMetrics)),
  metrics: z.object({
    ...Object.fromEntries(
      [...metricGroups.EventCount, ...metricGroups.ErrorCount].map((name) => [name, count.optional()]),
    ),
    ...Object.fromEntries(metricGroups.KafkaMetrics.map((name) => [name, lag.optional()])),
  }),
  invocations: z.array(
    z.object({
      at: z.string(),
      partition: z.number().int().min(0),
      records: count,
      firstOffset: z.string(),
      lastOffset: z.string(),
      durationMs: z.number().min(0),
      outcome: z.enum(['ok', 'partial', 'failed', 'sent-to-destination']),
      retries: count,
      bisections: count,
    }),
  ),
});

/** An AWS state as the page's four: Creating and Updating read as Enabling, Deleting as Disabling. */
export function viewState(state: string | undefined): EventSourceView['state'] {
  switch (state) {
    case 'Enabled':
    case 'Disabled':
    case 'Enabling':
    case 'Disabling':
      return state;
    case 'Deleting':
      return 'Disabling';
    default:
      return 'Enabling';
  }
}

/** A mapping as EventSourceView has it, without the local figures. */
export function mappingView(
  m: EventSourceMappingConfiguration,
): Omit<EventSourceView, 'metricsConfig' | 'metrics' | 'invocations'> {
  return {
    uuid: m.UUID ?? '',
    // arn:aws:lambda:region:account:function:NAME
    functionName: m.FunctionArn?.split(':function:')[1]?.split(':')[0] ?? m.FunctionArn ?? '',
    topic: m.Topics?.[0] ?? '',
    groupId:
      m.SelfManagedKafkaEventSourceConfig?.ConsumerGroupId ??
      m.AmazonManagedKafkaEventSourceConfig?.ConsumerGroupId ??
      '',
    state: viewState(m.State),
  };
}

/**
 * The client of the local event-source mapping API at `endpoint` (`http://127.0.0.1:PORT`).
 *
 * @throws ConsoleError 503 `EVENT_SOURCES_UNAVAILABLE` from every call while nothing answers there
 */
export function localEventSources(endpoint: string): EventSourceClient {
  // The local API checks no signature; the SDK insists on credentials to sign with.
  const lambda = new LambdaClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });

  const unavailable = (error: unknown) =>
    new ConsoleError(
      `No event-source mapping API answers at ${endpoint} (${errorText(error)}). It runs inside \`npm start\` ` +
        '(serverless-offline with infra/offline-kafka): start the pipeline with `npm start` to see the event ' +
        'source and pause or resume it.',
      503,
      { code: 'EVENT_SOURCES_UNAVAILABLE', retryable: true, cause: error },
    );
  const call = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ConsoleError) throw error;
      if (isNetworkError(error) || isNetworkError((error as { cause?: unknown } | undefined)?.cause)) {
        throw unavailable(error);
      }
      throw new ConsoleError(`the event-source mapping API failed: ${errorText(error)}`, 502, {
        code: 'EVENT_SOURCES_FAILED',
        cause: error,
      });
    }
  };

  const stats = async (uuid: string) => {
    const res = await fetch(
      `${endpoint}/2015-03-31/event-source-mappings/${encodeURIComponent(uuid)}/local-stats`,
    );
    if (!res.ok) throw new Error(`local-stats of ${uuid} answered ${res.status}: ${await res.text()}`);
    const parsed = localStatsSchema.safeParse(await res.json());
    if (!parsed.success) throw new Error(`local-stats of ${uuid}: ${describeIssues(parsed.error)}`);
    return parsed.data;
  };
  const withStats = async (m: EventSourceMappingConfiguration): Promise<EventSourceView> => ({
    ...mappingView(m),
    ...(await stats(m.UUID ?? '')),
  });
  const listAll = async () => {
    const mappings: EventSourceMappingConfiguration[] = [];
    let marker: string | undefined;
    do {
      const page = await lambda.send(new ListEventSourceMappingsCommand({ Marker: marker }));
      mappings.push(...(page.EventSourceMappings ?? []));
      marker = page.NextMarker;
    } while (marker);
    return mappings;
  };

  return {
    list: () => call(async () => Promise.all((await listAll()).map(withStats))),
    setEnabled: (uuid, enabled) =>
      call(async () => {
        if (!(await listAll()).some((m) => m.UUID === uuid))
          throw notFound(`no event-source mapping ${uuid}`);
        const updated = await lambda.send(
          new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: enabled }),
        );
        return withStats(updated);
      }),
  };
}
