/**
 * The page's one place for turning numbers into text: counts, rates, bytes, durations, times and Kafka
 * values. Pure (no DOM), so the unit tests run it in Node. A figure the server could not read arrives as
 * null and shows as "?", the same sign the start's summary line uses.
 */
import type { DecodedValue } from '../api.ts';

/** What a figure that could not be read shows as. */
export const unknown = '?';

// A fixed locale: the page's words are English, and the tests compare exact text.
const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** A count with thousands separators: 12345 → "12,345". */
export function count(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? unknown : integer.format(n);
}

/** A count and its noun: `plural(1, 'record')` → "1 record", `plural(3, 'delivery', 'deliveries')` → "3 deliveries". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/** A per-second rate: 41.25 → "41.3/s". */
export function rate(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? unknown : `${oneDecimal.format(n)}/s`;
}

const byteUnits = ['KiB', 'MiB', 'GiB', 'TiB'] as const;

/** A size in binary units: 1536 → "1.5 KiB". */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return unknown;
  if (Math.abs(n) < 1024) return `${integer.format(n)} B`;
  let value = n;
  let unit: string = byteUnits[0];
  for (const next of byteUnits) {
    value /= 1024;
    unit = next;
    if (Math.abs(value) < 1024) break;
  }
  return `${oneDecimal.format(value)} ${unit}`;
}

/** A duration, in the two largest units that matter: 850 → "850 ms", 3_723_000 → "1 h 2 min". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return unknown;
  if (ms < 1000) return `${integer.format(ms)} ms`;
  if (ms < 60_000) return `${oneDecimal.format(ms / 1000)} s`;
  const s = Math.floor(ms / 1000);
  const [d, h, m] = [Math.floor(s / 86_400), Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60];
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  return `${m} min ${s % 60} s`;
}

/**
 * How old a count is at a reading, when it is old enough to say: "counted 42 s ago". The console counts
 * large tables at a pace (infra/console/pace.ts), so such a count can be older than the reading. Null when
 * it is within `freshMs` of the reading, or either time is missing.
 */
export function countedAgo(countedAt: string | undefined, readingAt: string, freshMs = 2000): string | null {
  if (countedAt === undefined) return null;
  const ms = Date.parse(readingAt) - Date.parse(countedAt);
  return Number.isFinite(ms) && ms > freshMs ? `counted ${duration(ms)} ago` : null;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A time of day in the browser's time zone: "14:03:09"; text that is not a date is returned as it is. */
export function time(iso: string | null | undefined): string {
  if (!iso) return unknown;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** A date and time in the browser's time zone: "2024-05-01 14:03:09". */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return unknown;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${time(iso)}`;
}

/** The value a `<input type="datetime-local">` holds, read as local time, as an ISO instant; null if empty. */
export function localInputToIso(value: string): string | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** Bytes as a hex dump, 16 to a line after their offset and before their printable characters. */
export function hexDump(base64: string, max = 256): string {
  const raw = atob(base64);
  const lines: string[] = [];
  const end = Math.min(raw.length, max);
  for (let at = 0; at < end; at += 16) {
    const codes = Array.from(raw.slice(at, Math.min(at + 16, end)), (c) => c.charCodeAt(0));
    const hex = codes.map((c) => c.toString(16).padStart(2, '0')).join(' ');
    const text = codes.map((c) => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.')).join('');
    lines.push(`${at.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${text}`);
  }
  if (raw.length > max) lines.push(`… ${integer.format(raw.length - max)} more bytes`);
  return lines.join('\n');
}

/** A decoded value as editable text: JSON pretty-printed, text as it is, bytes as UTF-8 (lossy). */
export function valueText(value: DecodedValue): string {
  switch (value.kind) {
    case 'json':
      return JSON.stringify(value.json, null, 2);
    case 'text':
      return value.text;
    case 'bytes':
      return new TextDecoder().decode(Uint8Array.from(atob(value.base64), (c) => c.charCodeAt(0)));
    case 'null':
      return '';
  }
}

/** A decoded value on one line, cut at `max` characters, for a summary. */
export function valuePreview(value: DecodedValue, max = 100): string {
  const text =
    value.kind === 'json'
      ? JSON.stringify(value.json)
      : value.kind === 'text'
        ? value.text
        : value.kind === 'bytes'
          ? value.preview
          : '(null)';
  const line = text.replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * The offset a previous page starts at: `limit` before `from`, not below `low`. Offsets are strings (Kafka's
 * are 64-bit), so the arithmetic is on BigInt.
 */
export function previousOffset(from: string, low: string, limit: number): string | null {
  const [start, floor] = [BigInt(from), BigInt(low)];
  if (start <= floor) return null;
  const back = start - BigInt(limit);
  return (back < floor ? floor : back).toString();
}
