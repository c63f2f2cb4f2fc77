/**
 * Lambda's event filtering for Kafka records: a record reaches the function when it matches at least one
 * filter pattern (or when there are none). Records that match none are skipped and their offsets committed,
 * as AWS does.
 *
 * Hand-written because no maintained JavaScript implementation of EventBridge-style patterns exists on npm
 * (AWS's own, event-ruler, is Java). It covers the operators Lambda documents for event filtering: exact
 * values, `prefix`, `suffix`, `anything-but`, `numeric`, `exists`, `equals-ignore-case` and `wildcard`.
 */
import type { SourceRecord } from './event.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

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
  return patterns.some((pattern) => matchObject(pattern, view));
}

/** Whether `data` satisfies every field of `pattern`. */
export function matchObject(pattern: Record<string, unknown>, data: Json | undefined): boolean {
  return Object.entries(pattern).every(([field, rule]) => {
    const value = isObject(data) ? data[field] : undefined;
    if (Array.isArray(rule)) return matchField(rule, value);
    if (!isPlainObject(rule)) return false;
    // As EventBridge flattens the data: an array of objects matches when one of its objects does, and a
    // missing parent still satisfies `exists: false` below it.
    if (Array.isArray(value) && value.length > 0) return value.some((item) => matchObject(rule, item));
    return matchObject(rule, isObject(value) ? value : undefined);
  });
}

function matchField(rules: readonly unknown[], value: Json | undefined): boolean {
  // An array in the data matches when any of its elements does, as in EventBridge.
  const candidates: Array<Json | undefined> = Array.isArray(value) ? value : [value];
  return rules.some((rule) => {
    if (isPlainObject(rule) && 'exists' in rule) return (value !== undefined) === rule.exists;
    return candidates.some((candidate) => candidate !== undefined && matchRule(rule, candidate));
  });
}

function matchRule(rule: unknown, value: Json): boolean {
  if (!isPlainObject(rule)) return rule === value;
  if ('prefix' in rule) return matchAffix(rule.prefix, value, (v, p) => v.startsWith(p));
  if ('suffix' in rule) return matchAffix(rule.suffix, value, (v, s) => v.endsWith(s));
  if ('equals-ignore-case' in rule) {
    return typeof value === 'string' && typeof rule['equals-ignore-case'] === 'string'
      ? value.toLowerCase() === rule['equals-ignore-case'].toLowerCase()
      : false;
  }
  if ('wildcard' in rule) {
    return (
      typeof value === 'string' && typeof rule.wildcard === 'string' && wildcard(rule.wildcard).test(value)
    );
  }
  if ('anything-but' in rule) {
    const but = rule['anything-but'];
    if (Array.isArray(but)) return !but.some((b) => matchRule(b, value));
    return !matchRule(but, value);
  }
  if ('numeric' in rule) return Array.isArray(rule.numeric) && matchNumeric(rule.numeric, value);
  return false;
}

function matchAffix(affix: unknown, value: Json, test: (value: string, affix: string) => boolean): boolean {
  if (typeof value !== 'string') return false;
  if (typeof affix === 'string') return test(value, affix);
  if (isPlainObject(affix) && typeof affix['equals-ignore-case'] === 'string') {
    return test(value.toLowerCase(), affix['equals-ignore-case'].toLowerCase());
  }
  return false;
}

function matchNumeric(conditions: readonly unknown[], value: Json): boolean {
  if (typeof value !== 'number') return false;
  for (let i = 0; i + 1 < conditions.length; i += 2) {
    const op = conditions[i];
    const bound = conditions[i + 1];
    if (typeof bound !== 'number') return false;
    const ok =
      op === '='
        ? value === bound
        : op === '<'
          ? value < bound
          : op === '<='
            ? value <= bound
            : op === '>'
              ? value > bound
              : op === '>='
                ? value >= bound
                : false;
    if (!ok) return false;
  }
  return conditions.length >= 2;
}

function wildcard(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's');
}

function utf8(bytes: Buffer | null): string | undefined {
  if (bytes === null) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
