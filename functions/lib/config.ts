/**
 * Shared building blocks of the pipeline's functions: configuration (this module), errors, logging, the schemas
 * and one client module per external system.
 *
 * This module is the only reader of the process environment under functions/. It validates the environment once,
 * when it is first imported, so a missing or invalid setting stops the function at cold start with a
 * `ConfigError` that names the setting, not halfway through a batch. The schema lives in `settings.ts`,
 * which `sls package` also applies to each function's environment. The defaults suit the local stack;
 * serverless.yml sets the values of every other stage.
 */
import { type Config, parseConfig } from './settings.ts';

export {
  type CassandraAuth,
  type Config,
  cassandraAuthModes,
  type KafkaAuth,
  kafkaAuthModes,
  keyspacesMaxBatch,
  keyspacesPort,
  type LogLevel,
  parseConfig,
  pgSslModes,
  serviceName,
} from './settings.ts';

/** The settings of this process, parsed once at load. @throws `ConfigError` for a bad setting */
export const config: Config = parseConfig(process.env);
