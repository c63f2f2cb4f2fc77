/**
 * The recording stand-in for EventBridge's `PutEvents`, for tests and for `sls invoke local` without AWS
 * (`npm run eventbus -- serve`). It answers exactly as the durable bus does (the same protocol.ts and http.ts),
 * but keeps every accepted event in memory as the event a rule's target would receive, matches no rule and
 * invokes nothing. Tests can tell it to fail entries, so the callers' `FailedEntryCount` handling is tested
 * against a real HTTP exchange.
 */
import { randomUUID } from 'node:crypto';
import { listenPutEvents } from './http.ts';
import { type BusEvent, busEventOf, type EntryResult } from './protocol.ts';

/** An event the stand-in accepted, and the bus it was put on (which is not part of the event AWS delivers). */
export type RecordedEvent = BusEvent & { eventBusName: string };

/** The account and region of the events the stand-in and {@link busEvent} make. */
const standIn = { account: '000000000000', region: 'us-east-1' } as const;

/**
 * An event as EventBridge hands it to a rule's target, with a fresh id and the current time, for feeding a
 * handler directly in tests.
 */
export function busEvent<D>(
  source: string,
  detailType: string,
  detail: D,
  options: { resources?: string[] | undefined } = {},
): BusEvent & { detail: D } {
  const event = busEventOf(
    { source, detailType, detail: {}, busName: 'default', resources: options.resources ?? [] },
    { id: randomUUID(), receivedAt: new Date(), ...standIn },
  );
  return { ...event, detail };
}

/** A running stand-in. */
export interface LocalEventBus {
  /** The endpoint to give the SDK, e.g. `http://127.0.0.1:4010`. */
  endpoint: string;
  /** Every event accepted so far, in order. */
  readonly events: RecordedEvent[];
  /** Every `PutEvents` call that reached the entries, accepted or not. */
  readonly calls: number;
  /** Fails the next `count` valid entries with `code` (default `InternalFailure`), as EventBridge reports it. */
  failNextEntries(count: number, code?: string): void;
  /** Events of one detail type. */
  ofType(detailType: string): RecordedEvent[];
  close(): Promise<void>;
}

/**
 * Starts the stand-in on `host:port` (port 0 picks a free one).
 *
 * @param onEvent - called for each accepted event, e.g. to print it
 */
export async function startLocalEventBus(
  options: { host?: string; port?: number; onEvent?: (event: RecordedEvent) => void } = {},
): Promise<LocalEventBus> {
  const events: RecordedEvent[] = [];
  let calls = 0;
  let failures = { remaining: 0, code: 'InternalFailure' };

  const endpoint = await listenPutEvents({
    ...options,
    accept: async (entries) => {
      calls++;
      return entries.map((checked): EntryResult => {
        if (!checked.ok) return checked.result;
        if (failures.remaining > 0) {
          failures = { ...failures, remaining: failures.remaining - 1 };
          return { ErrorCode: failures.code, ErrorMessage: 'failed on purpose by the local event bus' };
        }
        const event = {
          ...busEventOf(checked.entry, { id: randomUUID(), receivedAt: new Date(), ...standIn }),
          eventBusName: checked.entry.busName,
        };
        events.push(event);
        options.onEvent?.(event);
        return { EventId: event.id };
      });
    },
  });

  return {
    endpoint: endpoint.endpoint,
    events,
    get calls() {
      return calls;
    },
    failNextEntries(count, code = 'InternalFailure') {
      failures = { remaining: count, code };
    },
    ofType: (detailType) => events.filter((e) => e['detail-type'] === detailType),
    close: () => endpoint.close(),
  };
}
