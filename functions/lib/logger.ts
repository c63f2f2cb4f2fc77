import { Logger } from '@aws-lambda-powertools/logger';
import { config, type LogLevel } from './config.ts';

/** Options of {@link createLogger}; each defaults to this process's config. */
export interface LoggerOptions {
  /** The lowest level written. */
  level?: LogLevel;
  /** The stage, added to every entry. */
  stage?: string;
}

/**
 * Creates a structured JSON logger for one part of the pipeline.
 *
 * Build it once per module, outside the handler, and log keys such as `batchId` and `userId`; never
 * credentials or whole user records.
 *
 * @param serviceName - the namespace written as `service` on every entry, e.g. `fetch-users`
 * @param options - overrides of the level and stage taken from config
 * @returns a Powertools Logger
 */
export function createLogger(serviceName: string, options: LoggerOptions = {}): Logger {
  return new Logger({
    serviceName,
    logLevel: options.level ?? config.logLevel,
    persistentKeys: { stage: options.stage ?? config.stage },
  });
}
