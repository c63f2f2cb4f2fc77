/**
 * EventBridge's `PutEvents` as AWS answers it, written once for both local buses: the recording stand-in
 * (server.ts) and the durable bus under `sls offline start` (bus.ts). Pure, in the manner of pg-protocol: it
 * reads a request body and builds answers and events, and never touches a socket or a database.
 *
 * What AWS does, and this module with it:
 * - A request whose body is not JSON of the right shape is refused whole: HTTP 400 `SerializationException`.
 * - More than 10 entries, or none, or entries whose sizes add up to more than 256 KB, refuse the whole request:
 *   HTTP 400 `ValidationException`. AWS has no per-entry code for size: its answer is the request-level
 *   "Total size of the entries in the request is over the limit.", and so is ours.
 * - Otherwise each entry gets its own result, in order: an `EventId`, or an `ErrorCode` with an `ErrorMessage`
 *   (`InvalidArgument` for a missing Source, DetailType or Detail; `MalformedDetail` for a Detail that is not a
 *   JSON object), and `FailedEntryCount` counts the failed ones.
 */
import { z } from 'zod';
import { describeIssues } from '../../lib/errors.ts';
import { isJsonObject, type Json } from '../../lib/event-pattern.ts';
import { putEventsEntrySize } from '../../lib/put-events.ts';
import { limits } from '../../lib/topology.ts';

/** The `X-Amz-Target` of a `PutEvents` call. */
export const putEventsTarget = 'AWSEvents.PutEvents';

/** The content type of every answer (AWS JSON 1.1). */
export const jsonContentType = 'application/x-amz-json-1.1';

/** EventBridge's limits on one `PutEvents` call. */
export const putEventsLimits = {
  maxEntries: limits.putEventsMaxEntries,
  /** The entries' sizes together, counted as AWS counts them (lib/put-events.ts). */
  maxBytes: limits.putEventsMaxBytes,
} as const;

/** A refused request: the HTTP status and AWS's error type and message. */
export interface ProtocolError {
  status: number;
  type: string;
  message: string;
}

/** An entry that passed every check: what the bus needs to build its event. */
export interface AcceptedEntry {
  source: string;
  detailType: string;
  /** The parsed Detail: always a JSON object. */
  detail: { [key: string]: Json };
  /** The bus's name (an ARN in the request is reduced to its name); `default` when the entry names none. */
  busName: string;
  resources: string[];
  /** The entry's own `Time`, when it gave one. */
  time?: Date;
}

/** One entry's result, as AWS returns it. */
export type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/** One entry after the checks: accepted, or failed with the result AWS gives it. */
export type CheckedEntry = { ok: true; entry: AcceptedEntry } | { ok: false; result: EntryResult };

/** An event as a rule's target receives it: EventBridge's envelope around the entry's detail. */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

// The shape the SDK sends; a field of the wrong type is a serialization error for the whole request.
const requestSchema = z.object({
  Entries: z.array(
    z.object({
      Source: z.string().optional(),
      DetailType: z.string().optional(),
      Detail: z.string().optional(),
      EventBusName: z.string().optional(),
      Resources: z.array(z.string()).optional(),
      // The SDK sends a Date as epoch seconds; an ISO string is accepted too.
      Time: z.union([z.number(), z.string()]).optional(),
      TraceHeader: z.string().optional(),
    }),
  ),
  EndpointId: z.string().optional(),
});
type RequestEntry = z.output<typeof requestSchema>['Entries'][number];

/**
 * Reads a `PutEvents` request body and checks each entry.
 *
 * @returns the checked entries, in request order, or the error that refuses the whole request
 */
export function readPutEvents(
  body: string,
  bounds: { maxEntries: number; maxBytes: number } = putEventsLimits,
): { ok: true; entries: CheckedEntry[] } | { ok: false; error: ProtocolError } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return refuse(400, 'SerializationException', 'the request body is not valid JSON');
  }
  const parsed = requestSchema.safeParse(json);
  if (!parsed.success) return refuse(400, 'SerializationException', describeIssues(parsed.error));
  const entries = parsed.data.Entries;
  if (entries.length < 1 || entries.length > bounds.maxEntries) {
    const bound =
      entries.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${bounds.maxEntries}`;
    return refuse(
      400,
      'ValidationException',
      `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${bound}`,
    );
  }
  const total = entries.reduce((sum, entry) => sum + putEventsEntrySize(entry), 0);
  if (total > bounds.maxBytes) {
    return refuse(400, 'ValidationException', 'Total size of the entries in the request is over the limit.');
  }
  return { ok: true, entries: entries.map(checkEntry) };
}

/** One entry's checks, in the order AWS applies them. */
export function checkEntry(entry: RequestEntry): CheckedEntry {
  for (const field of ['Source', 'DetailType', 'Detail'] as const) {
    if (!entry[field]) {
      return failed(
        'InvalidArgument',
        `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
      );
    }
  }
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail ?? '');
  } catch {
    return failed('MalformedDetail', 'Detail is malformed.');
  }
  if (!isJsonObject(detail)) return failed('MalformedDetail', 'Detail is malformed.');
  let time: Date | undefined;
  if (entry.Time !== undefined) {
    time = new Date(typeof entry.Time === 'number' ? entry.Time * 1000 : entry.Time);
    if (Number.isNaN(time.getTime())) {
      return failed('InvalidArgument', 'Parameter Time is not valid. Reason: it is not a timestamp.');
    }
  }
  return {
    ok: true,
    entry: {
      source: entry.Source ?? '',
      detailType: entry.DetailType ?? '',
      detail,
      busName: busName(entry.EventBusName),
      resources: entry.Resources ?? [],
      ...(time ? { time } : {}),
    },
  };
}

/** A bus's name from an `EventBusName`, which may be a name or an ARN (`...:event-bus/<name>`); unset is `default`. */
export function busName(nameOrArn: string | undefined): string {
  if (nameOrArn === undefined || nameOrArn === '') return 'default';
  const slash = nameOrArn.startsWith('arn:') ? nameOrArn.indexOf(':event-bus/') : -1;
  return slash === -1 ? nameOrArn : nameOrArn.slice(slash + ':event-bus/'.length);
}

/**
 * The event a rule's target receives for an accepted entry: the entry's own Time (to the second, as
 * EventBridge writes it) or the time it was received.
 */
export function busEventOf(
  entry: AcceptedEntry,
  meta: { id: string; receivedAt: Date; account: string; region: string },
): BusEvent {
  return {
    version: '0',
    id: meta.id,
    'detail-type': entry.detailType,
    source: entry.source,
    account: meta.account,
    time: eventTime(entry.time ?? meta.receivedAt),
    region: meta.region,
    resources: entry.resources,
    detail: entry.detail,
  };
}

/** An event's `time`: ISO 8601 to the second, as EventBridge writes it. */
export function eventTime(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The body of a `PutEvents` answer. */
export function putEventsAnswer(results: readonly EntryResult[]): {
  FailedEntryCount: number;
  Entries: readonly EntryResult[];
} {
  return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
}

/** The body of an error answer, as the AWS JSON 1.1 protocol spells it. */
export function errorAnswer(error: Pick<ProtocolError, 'type' | 'message'>): {
  __type: string;
  message: string;
} {
  return { __type: error.type, message: error.message };
}

function failed(code: string, message: string): CheckedEntry {
  return { ok: false, result: { ErrorCode: code, ErrorMessage: message } };
}

function refuse(status: number, type: string, message: string): { ok: false; error: ProtocolError } {
  return { ok: false, error: { status, type, message } };
}
