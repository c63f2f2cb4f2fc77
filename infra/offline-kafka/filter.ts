/**
 * Lambda's event filtering for Kafka records: a record reaches the function when it matches at least one
 * filter pattern (or when there are none). Records that match none are skipped and their offsets committed,
 * as AWS does.
 *
 * Lambda's filter criteria use EventBridge's pattern syntax, so the matching is lib/event-pattern.ts's, the
 * same as the local EventBridge's; this module only builds what a Kafka record looks like to a pattern.
 */
import { type CompiledPattern, compilePattern, type Json } from '../../lib/event-pattern.ts';
import type { SourceRecord } from './event.ts';

/**
 * What a pattern is matched against: `value` is the record's value parsed as JSON when it is UTF-8 JSON,
 * its text when it is UTF-8 but not JSON, and absent otherwise; `key` is the key's text. The metadata
 * fields (`topic`, `partition`, `offset`, `timestamp`, `timestampType`) are there as well.
 */
export function filterView(record: SourceRecord): Record<string, Json> {
  const view: Record<string, Json> = {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    timestampType: record.timestampType,
  };
  const key = utf8(record.key);
  if (key !== undefined) view.key = key;
  const text = utf8(record.value);
  if (text !== undefined) {
    try {
      view.value = JSON.parse(text) as Json;
    } catch {
      view.value = text;
    }
  }
  return view;
}

/** True when `patterns` is empty or the record matches one of them. */
export function matchesAny(patterns: ReadonlyArray<Record<string, unknown>>, record: SourceRecord): boolean {
  if (patterns.length === 0) return true;
  const view = filterView(record);
  return patterns.some((pattern) => compiled(pattern).matches(view));
}

/** Each pattern object compiled once, however many records it filters. */
const cache = new WeakMap<object, CompiledPattern>();
function compiled(pattern: Record<string, unknown>): CompiledPattern {
  let found = cache.get(pattern);
  if (!found) {
    found = compilePattern(pattern);
    cache.set(pattern, found);
  }
  return found;
}

function utf8(bytes: Buffer | null): string | undefined {
  if (bytes === null) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
