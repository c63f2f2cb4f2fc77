/**
 * Shared building blocks of the pipeline's functions: configuration (this module), errors, logging, the schemas
 * and one client module per external system.
 *
 * This module is the only reader of the process environment under functions/. It validates the environment once, when
 * it is first imported, so a missing or invalid setting stops the function at cold start with a
 * {@link ConfigError} that names the setting, not halfway through a batch. The defaults suit the local stack;
 * serverless.yml sets the values of every other stage.
 */
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { describeIssues } from './validate.ts';

/** The service's name, as in serverless.yml and the EventBridge `source`. */
export const serviceName = 'realtime-user-pipeline';

const logLevels = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;

const port = z.coerce.number().int().min(1).max(65535);

/** A comma-separated list, trimmed, with empty entries dropped. */
const commaList = (item: z.ZodString, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) =>
      value
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry !== ''),
    )
    .pipe(z.array(item).min(1, 'expected at least one entry'));

const hostWithPort = z.string().regex(/^[^\s:,/]+:\d{1,5}$/, 'expected host:port');
const hostWithOptionalPort = z.string().regex(/^[^\s:,/]+(:\d{1,5})?$/, 'expected host or host:port');

const envSchema = z.object({
  STAGE: z
    .string()
    .regex(/^[a-zA-Z0-9-]+$/, 'expected letters, digits and hyphens')
    .default('local'),
  LOG_LEVEL: z
    .string()
    .default('INFO')
    .transform((value) => value.toUpperCase())
    .pipe(z.enum(logLevels)),
  KAFKA_BROKERS: commaList(hostWithPort, '127.0.0.1:9092'),
  KAFKA_CLIENT_ID: z.string().default(serviceName),
  CASSANDRA_CONTACT_POINTS: commaList(hostWithOptionalPort, '127.0.0.1:9042'),
  CASSANDRA_LOCAL_DC: z.string().default('datacenter1'),
  // The keyspace is spliced into CQL, so only a plain identifier is accepted.
  CASSANDRA_KEYSPACE: z
    .string()
    .regex(/^[a-zA-Z][a-zA-Z0-9_]{0,47}$/, 'expected a CQL identifier')
    .default('spark_streams'),
  PGHOST: z.string().default('127.0.0.1'),
  PGPORT: port.default(5432),
  PGUSER: z.string().optional(),
  PGDATABASE: z.string().default('pipeline'),
  EVENT_BUS_NAME: z.string().default('default'),
  EVENTBRIDGE_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  // Unset means the local randomuser-compatible API of infra/randomuser; the real service is
  // https://randomuser.me/api/1.4/.
  RANDOMUSER_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:3100/api/1.4/'),
  FETCH_TOTAL: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  // randomuser serves at most 5000 users per request.
  FETCH_PAGE_SIZE: z.coerce.number().int().min(1).max(5000).default(5000),
  FETCH_NAT: z
    .string()
    .regex(/^[a-zA-Z]{2}(,[a-zA-Z]{2})*$/, 'expected comma-separated nationality codes such as GB,FR')
    .optional(),
  FETCH_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
  FETCH_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
  // 5000 users take about 7 MB of JSON; more than this is not a randomuser response.
  FETCH_MAX_RESPONSE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(16 * 1024 * 1024),
  KAFKA_TOPIC: z.string().min(1).default('users_created'),
  KAFKA_DLQ_TOPIC: z.string().min(1).default('users_created.dlq'),
  // The broker's message.max.bytes (Kafka's default is 1048588); larger outbox messages are marked dead.
  KAFKA_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1024).default(1_048_000),
  OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  // The relay stops claiming batches when less than this remains of the invocation's time.
  RELAY_TIME_MARGIN_MS: z.coerce.number().int().min(0).default(5_000),
  SINK_CONCURRENCY: z.coerce.number().int().min(1).max(2048).default(128),
});

const configSchema = envSchema.transform((env) => ({
  service: serviceName,
  stage: env.STAGE,
  logLevel: env.LOG_LEVEL,
  kafka: { brokers: env.KAFKA_BROKERS, clientId: env.KAFKA_CLIENT_ID },
  cassandra: {
    contactPoints: env.CASSANDRA_CONTACT_POINTS,
    localDataCenter: env.CASSANDRA_LOCAL_DC,
    keyspace: env.CASSANDRA_KEYSPACE,
  },
  postgres: { host: env.PGHOST, port: env.PGPORT, user: env.PGUSER, database: env.PGDATABASE },
  eventBridge: { busName: env.EVENT_BUS_NAME, endpoint: env.EVENTBRIDGE_ENDPOINT },
  fetch: {
    url: env.RANDOMUSER_URL,
    total: env.FETCH_TOTAL,
    pageSize: env.FETCH_PAGE_SIZE,
    nat: env.FETCH_NAT,
    timeoutMs: env.FETCH_TIMEOUT_MS,
    maxAttempts: env.FETCH_MAX_ATTEMPTS,
    maxResponseBytes: env.FETCH_MAX_RESPONSE_BYTES,
  },
  topics: { usersCreated: env.KAFKA_TOPIC, deadLetter: env.KAFKA_DLQ_TOPIC },
  relay: {
    batchSize: env.OUTBOX_BATCH_SIZE,
    maxMessageBytes: env.KAFKA_MAX_MESSAGE_BYTES,
    timeMarginMs: env.RELAY_TIME_MARGIN_MS,
  },
  sink: { concurrency: env.SINK_CONCURRENCY },
}));

/** The validated settings of a function. */
export type Config = z.output<typeof configSchema>;

/** A log level that both this config and Powertools Logger accept. */
export type LogLevel = Config['logLevel'];

/**
 * Validates an environment and returns the settings.
 *
 * An empty variable counts as unset, so a stage can leave an optional setting blank.
 *
 * @param env - the variables to read, such as the process environment
 * @returns the parsed settings, with defaults for the local stack
 * @throws {@link ConfigError} naming every missing or invalid setting (never its value)
 */
export function parseConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = configSchema.safeParse(present);
  if (parsed.success) return parsed.data;
  const settings = [...new Set(parsed.error.issues.map((issue) => String(issue.path[0])))];
  throw new ConfigError(`invalid configuration: ${describeIssues(parsed.error)}`, settings, {
    cause: parsed.error,
  });
}

/** The settings of this process, parsed once at load. */
export const config: Config = parseConfig(process.env);
