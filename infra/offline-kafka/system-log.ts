/**
 * The mapping's own system logs (`loggingConfig.systemLogLevel`): which of the event source's lines a level
 * lets through. AWS's pollers send DEBUG (processing progress), INFO (normal operation) and WARN (what may
 * lead to unexpected behaviour), each level with those below it. Pure.
 *
 * Locally, a successful invocation's line is DEBUG (progress), the starting position, a source becoming
 * reachable and a disable are INFO, and every failure, partial response, hand-off to the destination or drop
 * is WARN. The plugin's own lines (the lint, "consuming ... as group", the API's requests) are not the
 * mapping's logs: on AWS they are CloudFormation's and the API's answers, so they print at any level.
 */
import type { InvocationLog } from './batch.ts';

/** AWS's `SystemLogLevel`s, most detail first. */
export const systemLogLevels = ['DEBUG', 'INFO', 'WARN'] as const;
export type SystemLogLevel = (typeof systemLogLevels)[number];

/**
 * Whether a line at `line` is sent when the mapping logs at `configured`. With no level configured AWS sends
 * no system logs at all; the emulation then prints every line, as it did before the key existed, since its
 * lines are the only trace of the event source locally (the README says so).
 */
export function logsAt(configured: SystemLogLevel | undefined, line: SystemLogLevel): boolean {
  if (configured === undefined) return true;
  return systemLogLevels.indexOf(line) >= systemLogLevels.indexOf(configured);
}

/** The level of one invocation's line: DEBUG when it went well, WARN otherwise. */
export function invocationLevel(entry: Pick<InvocationLog, 'result'>): SystemLogLevel {
  return entry.result === 'ok' ? 'DEBUG' : 'WARN';
}
