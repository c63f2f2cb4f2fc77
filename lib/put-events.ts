/**
 * EventBridge's own arithmetic for a `PutEvents` entry, shared by the side that puts events (the functions'
 * client, functions/lib/eventbridge.ts) and the side that receives them (the local EventBridge,
 * infra/eventbus), so both count bytes exactly as AWS does. Pure.
 */

/** The fields of a `PutEvents` request entry that count towards its size. */
export interface SizedEntry {
  Source?: string | undefined;
  DetailType?: string | undefined;
  Detail?: string | undefined;
  Time?: unknown;
  Resources?: readonly string[] | undefined;
}

/**
 * An entry's size as EventBridge calculates it ("Calculating PutEvents event entry size" in the EventBridge
 * user guide): 14 bytes for a `Time` when one is given, and the UTF-8 bytes of `Source`, `DetailType`,
 * `Detail` and each of the `Resources`.
 */
export function putEventsEntrySize(entry: SizedEntry): number {
  let size = entry.Time === undefined || entry.Time === null ? 0 : 14;
  for (const text of [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])]) {
    if (text !== undefined) size += Buffer.byteLength(text, 'utf8');
  }
  return size;
}
