/**
 * The functions' structured logger: Powertools Logger, namespaced per function, with the stage on every
 * entry. It reads no configuration of its own: the entry point passes the level and stage it parsed, so
 * importing this module (or a factory that uses it) reads no environment.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from './settings.ts';

/** Options of {@link createLogger}, usually the `logLevel` and `stage` of the function's config. */
export interface LoggerOptions {
  /** The lowest level written. */
  level: LogLevel;
  /** The stage, added to every entry. */
  stage: string;
}

/**
 * Creates a structured JSON logger for one part of the pipeline.
 *
 * Build it once per process, in the function's `depsFor`, and log keys such as `batchId` and `userId`;
 * never credentials or whole user records.
 *
 * @param serviceName - the namespace written as `service` on every entry, e.g. `fetch-users`
 * @param options - the level and the stage, e.g. `{ level: cfg.logLevel, stage: cfg.stage }`
 * @returns a Powertools Logger
 */
export function createLogger(serviceName: string, options: LoggerOptions): Logger {
  return new Logger({
    serviceName,
    logLevel: options.level,
    persistentKeys: { stage: options.stage },
  });
}
