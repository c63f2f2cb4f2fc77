/**
 * The pipeline's EventBridge client: puts events with `PutEvents` within EventBridge's limits (at most 10
 * entries and 256 KB per call) and retries the entries a call reports as failed, since `PutEvents` can
 * succeed as a call while some of its entries fail (`FailedEntryCount` > 0).
 */
import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { errorText, PipelineError } from '../../lib/errors.ts';
import { packBySize } from '../../lib/pack.ts';
import { putEventsEntrySize } from '../../lib/put-events.ts';
import { limits } from '../../lib/topology.ts';
import { TransientError } from './errors.ts';
import { type RetryClock, type RetryPolicy, systemClock, withRetry } from './retry.ts';
import { eventSource } from './schemas.ts';
import type { Config } from './settings.ts';

/** EventBridge's limits: 10 entries per `PutEvents` call, and 256 KB per call (and so per entry). */
export const putEventsLimits = {
  maxEntries: limits.putEventsMaxEntries,
  maxBytes: limits.putEventsMaxBytes,
} as const;

/** One event to put: its detail type and its detail, which is sent as JSON. */
export interface EventEntry {
  detailType: string;
  detail: unknown;
}

/** Puts the pipeline's events on its bus. */
export interface EventPublisher {
  /**
   * Puts every entry, in as few calls as the limits allow, retrying failed entries.
   *
   * @returns how many `PutEvents` calls were made, retries included
   * @throws {@link EventTooLargeError} for an entry over 256 KB (not retryable)
   * @throws {@link PipelineError} when entries still fail after the retries, retryable unless EventBridge
   *   called them invalid
   */
  publish(entries: readonly EventEntry[]): Promise<{ calls: number }>;
}

/** An entry is over EventBridge's 256 KB limit. */
export class EventTooLargeError extends PipelineError {
  override readonly name: string = 'EventTooLargeError';

  constructor(message: string) {
    super(message, { code: 'EVENTBRIDGE_ENTRY_TOO_LARGE', retryable: false });
  }
}

/**
 * An entry's size as EventBridge counts it: the UTF-8 bytes of its source, detail type and detail (the
 * entries carry no `Time` or `Resources`).
 */
export function entrySize(source: string, detailType: string, detailJson: string): number {
  return putEventsEntrySize({ Source: source, DetailType: detailType, Detail: detailJson });
}

/**
 * Groups sized items into calls of at most `maxEntries` items and `maxBytes` bytes, in order.
 *
 * @throws {@link EventTooLargeError} for an item that alone is over `maxBytes`
 */
export function groupIntoCalls<T extends { size: number }>(
  items: readonly T[],
  limits: { maxEntries: number; maxBytes: number } = putEventsLimits,
): T[][] {
  const { packs, oversized } = packBySize(items, (item) => item.size, {
    maxBytes: limits.maxBytes,
    maxItems: limits.maxEntries,
  });
  const [tooLarge] = oversized;
  if (tooLarge !== undefined) {
    throw new EventTooLargeError(
      `an event entry of ${tooLarge.size} bytes is over the ${limits.maxBytes}-byte limit`,
    );
  }
  return packs;
}

// Entry error codes that will fail the same way again.
const permanentEntryErrors = new Set([
  'MalformedDetail',
  'InvalidArgument',
  'ValidationException',
  'AccessDeniedException',
  'NotAuthorizedForSourceException',
  'ResourceNotFoundException',
]);

/** Some entries failed, and trying them again will not help or did not. */
export class PutEventsError extends PipelineError {
  override readonly name: string = 'PutEventsError';
  /** `ErrorCode: ErrorMessage` of each entry that failed last. */
  readonly failures: readonly string[];

  constructor(failures: readonly string[], retryable: boolean) {
    super(
      `${failures.length} event entr${failures.length === 1 ? 'y' : 'ies'} failed: ${failures.slice(0, 3).join('; ')}`,
      {
        code: 'EVENTBRIDGE_ENTRIES_FAILED',
        retryable,
      },
    );
    this.failures = failures;
  }
}

/** Options of {@link createEventPublisher}. */
export interface EventPublisherOptions {
  client: { send(command: PutEventsCommand): Promise<PutEventsCommandOutput> };
  busName: string;
  source: string;
  /** For the retries of failed entries (the SDK retries whole calls itself). */
  policy?: RetryPolicy;
  clock?: RetryClock;
}

/** Builds the SDK client; an endpoint override (a local emulator) gets placeholder credentials. */
export function createEventBridgeClient(config: Pick<Config, 'eventBridge'>): EventBridgeClient {
  const { endpoint } = config.eventBridge;
  return new EventBridgeClient({
    maxAttempts: 3,
    // Without a timeout, a PutEvents that never gets an answer (a bus frozen or cut mid-request) holds the
    // invocation until the Lambda timeout; timed out, the call is tried again like any other failure. A
    // repeat of an accepted call only repeats events, which store-users and publish-users take idempotently.
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 10_000 },
    ...(endpoint === undefined
      ? {}
      : {
          endpoint,
          // Local emulators do not check signatures, and a laptop may have no AWS credentials at all.
          region: 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }),
  });
}

/** Creates an {@link EventPublisher}. */
export function createEventPublisher(options: EventPublisherOptions): EventPublisher {
  const policy = options.policy ?? { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 2_000 };
  const clock = options.clock ?? systemClock;

  async function putCall(entries: PutEventsRequestEntry[]): Promise<number> {
    let pending = entries;
    let calls = 0;
    await withRetry(
      'PutEvents',
      async () => {
        calls++;
        let output: PutEventsCommandOutput;
        try {
          output = await options.client.send(new PutEventsCommand({ Entries: pending }));
        } catch (error) {
          const reason = errorText(error);
          throw new TransientError(`PutEvents failed: ${reason}`, {
            code: 'EVENTBRIDGE_UNAVAILABLE',
            cause: error,
          });
        }
        if (!output.FailedEntryCount) return;
        const results = output.Entries ?? [];
        const failed = pending.filter(
          (_, i) => results[i]?.ErrorCode !== undefined || results[i] === undefined,
        );
        const failures = pending
          .map((_, i) => results[i])
          .filter((r) => r === undefined || r.ErrorCode !== undefined)
          .map((r) => `${r?.ErrorCode ?? 'Missing'}: ${r?.ErrorMessage ?? 'no result for this entry'}`);
        const permanent = pending.some((_, i) => permanentEntryErrors.has(results[i]?.ErrorCode ?? ''));
        pending = failed;
        throw new PutEventsError(failures, !permanent);
      },
      { policy, clock },
    );
    return calls;
  }

  return {
    async publish(entries) {
      const sized = entries.map((entry) => {
        const detail = JSON.stringify(entry.detail);
        return {
          request: {
            Source: options.source,
            DetailType: entry.detailType,
            Detail: detail,
            EventBusName: options.busName,
          },
          size: entrySize(options.source, entry.detailType, detail),
        };
      });
      let calls = 0;
      for (const group of groupIntoCalls(sized)) calls += await putCall(group.map((g) => g.request));
      return { calls };
    },
  };
}

/** The publisher a function uses: the config's bus and endpoint, with the pipeline's event source. */
export function eventPublisherFor(config: Pick<Config, 'eventBridge'>): EventPublisher {
  return createEventPublisher({
    client: createEventBridgeClient(config),
    busName: config.eventBridge.busName,
    source: eventSource,
  });
}
