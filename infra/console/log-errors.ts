/**
 * The last errors of each function, read from the functions' own log lines as `npm start` relays them from
 * serverless-offline. Pure: a parser of one line and a small book of the newest errors per function.
 *
 * A line counts when it is a Powertools JSON entry (the functions log nothing else) at ERROR or CRITICAL, or
 * at WARN with an error code: the functions report what they refuse for good (a quarantined randomuser
 * record, a rejected user, a dead-lettered Kafka record) at WARN with `code` or `errorType`, and let what
 * fails the invocation propagate to the event source.
 */
import type { FunctionError } from './api.ts';
import { maskText } from './decode.ts';

/** Errors kept per function, newest first (api.ts: LiveSnapshot.errors). */
export const errorsPerFunction = 5;

const errorLevels = new Set(['ERROR', 'CRITICAL', 'FATAL']);

/** The function error a log line reports, or undefined for any other line. */
export function parseErrorLine(line: string): FunctionError | undefined {
  const start = line.indexOf('{');
  if (start < 0 || !/"level"\s*:\s*"(WARN|ERROR|CRITICAL|FATAL)"/.test(line)) return undefined;
  let entry: unknown;
  try {
    entry = JSON.parse(line.slice(start));
  } catch {
    return undefined;
  }
  if (!isRecord(entry) || typeof entry.level !== 'string' || typeof entry.service !== 'string')
    return undefined;
  const error = isRecord(entry.error) ? entry.error : undefined;
  const code = firstString(entry.code, entry.errorCode, entry.errorType, error?.code, error?.name);
  if (!errorLevels.has(entry.level) && code === undefined) return undefined;
  const detail = firstString(error?.message, entry.error, entry.reason);
  const message = typeof entry.message === 'string' ? entry.message : '';
  return {
    function: entry.service,
    code: code ?? entry.level,
    message: maskText(detail && detail !== message ? `${message}: ${detail}` : message),
    at: firstString(entry.timestamp) ?? new Date(0).toISOString(),
  };
}

/** The newest errors of each function, at most {@link errorsPerFunction} each. */
export class ErrorBook {
  readonly #byFunction = new Map<string, FunctionError[]>();

  /** Keeps `error` as its function's newest. */
  add(error: FunctionError): void {
    const list = this.#byFunction.get(error.function) ?? [];
    list.unshift(error);
    list.length = Math.min(list.length, errorsPerFunction);
    this.#byFunction.set(error.function, list);
  }

  /** Every function's errors, newest first within a function, functions by name. */
  list(): FunctionError[] {
    return [...this.#byFunction.keys()].sort().flatMap((fn) => this.#byFunction.get(fn) ?? []);
  }
}

function firstString(...values: unknown[]): string | undefined {
  return values.find((v): v is string => typeof v === 'string' && v !== '');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
