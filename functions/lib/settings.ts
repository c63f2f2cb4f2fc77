/**
 * The pipeline's settings: the schema of the environment and {@link parseConfig}, which validates one. It
 * reads no environment itself, so `config.ts` applies it to the process at cold start and the packaging check
 * (infra/serverless/stage-config.cjs) applies it to the environment serverless.yml gives each function: a
 * missing or invalid setting fails `sls package` or the cold start with a {@link ConfigError} that names it.
 *
 * Defaults suit the local stack. The AWS stages select authentication, TLS and endpoints through the same
 * settings (`KAFKA_AUTH`, `CASSANDRA_AUTH`, `PGSSLMODE`, `PG_SECRET_ARN`, ...), never through code paths of
 * their own.
 */
import { z } from 'zod';
import { describeIssues } from '../../lib/errors.ts';
import { settingsDocumentation } from '../../lib/settings-docs.ts';
import {
  cassandra,
  type FunctionName,
  limits,
  localRandomuserUrl,
  localStage,
  ports,
  postgresDatabase,
  serviceName,
  topics,
} from '../../lib/topology.ts';
import { ConfigError } from './errors.ts';

export { serviceName };

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

/** `true` or `false`, as an environment spells a flag. */
const flag = z.enum(['true', 'false']).transform((value) => value === 'true');

const awsRegion = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region such as eu-west-1');

// The ARN of a Secrets Manager secret; the value is fetched at run time and never sits in the environment.
const secretArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/,
    'expected a Secrets Manager secret ARN',
  );

/** How the Kafka client authenticates: not at all (local), IAM (MSK) or SASL/SCRAM (self-managed Kafka, MSK). */
export const kafkaAuthModes = ['none', 'iam', 'scram'] as const;
/** How the Cassandra client authenticates: not at all (local) or SigV4 (Amazon Keyspaces). */
export const cassandraAuthModes = ['none', 'sigv4'] as const;
/** libpq's names for the TLS modes that the pipeline supports. */
export const pgSslModes = ['disable', 'require', 'verify-full'] as const;

/** The port Amazon Keyspaces listens on; it speaks TLS only. */
export const keyspacesPort = ports.keyspaces;
/** Amazon Keyspaces accepts at most this many statements in an unlogged batch. */
export const keyspacesMaxBatch = limits.keyspacesMaxBatch;

const hostWithPort = z.string().regex(/^[^\s:,/]+:\d{1,5}$/, 'expected host:port');
const hostWithOptionalPort = z.string().regex(/^[^\s:,/]+(:\d{1,5})?$/, 'expected host or host:port');

/** The functions whose behaviour a setting changes; `all` for every function. */
export type SettingReaders = readonly FunctionName[] | 'all';

/** What the settings table says of a setting besides its name and default. */
export interface SettingDoc {
  /** What it means, in a phrase or two. */
  meaning: string;
  readBy: SettingReaders;
  /**
   * How the local stage gives it a value when `npm start` (or the tests) run the functions on the local
   * stack, when that is not the variable itself: e.g. the Kafka brokers come from the stack's KAFKA_PORT.
   */
  local?: string;
}

const { documented, settings } = settingsDocumentation<SettingDoc>();

const relay = ['publish-users'] as const;
const sink = ['sink-users'] as const;
const kafkaClients = ['publish-users', 'sink-users'] as const;
const postgresClients = ['store-users', 'publish-users'] as const;
const eventPublishers = ['fetch-users', 'store-users'] as const;
const fetch = ['fetch-users'] as const;

const envSchema = z.object({
  STAGE: documented(
    z
      .string()
      .regex(/^[a-zA-Z0-9-]+$/, 'expected letters, digits and hyphens')
      .default(localStage),
    {
      meaning: 'the deployed stage, added to every log line',
      readBy: 'all',
      local: 'the stage, `local`',
    },
  ),
  LOG_LEVEL: documented(
    z
      .string()
      .default('INFO')
      .transform((value) => value.toUpperCase())
      .pipe(z.enum(logLevels)),
    {
      meaning: `the lowest level logged: ${logLevels.join(', ')}`,
      readBy: 'all',
      local: '`DEBUG` unless set',
    },
  ),
  KAFKA_BROKERS: documented(commaList(hostWithPort, `127.0.0.1:${ports.kafka}`), {
    meaning: 'bootstrap brokers, host:port, comma-separated',
    readBy: kafkaClients,
    local: "the stack's broker (KAFKA_PORT) unless set",
  }),
  KAFKA_CLIENT_ID: documented(z.string().default(serviceName), {
    meaning: 'the Kafka client id',
    readBy: kafkaClients,
    local: '`<service>-local` unless set',
  }),
  CASSANDRA_CONTACT_POINTS: documented(commaList(hostWithOptionalPort, `127.0.0.1:${ports.cassandra}`), {
    meaning: 'Cassandra nodes, host or host:port, comma-separated',
    readBy: sink,
    local: "the stack's node (CASSANDRA_PORT) unless set",
  }),
  CASSANDRA_LOCAL_DC: documented(z.string().default(cassandra.localDataCenter), {
    meaning: 'the data centre the driver routes to (the region on Keyspaces)',
    readBy: sink,
    local: "the stack's data centre unless set",
  }),
  // The keyspace is spliced into CQL, so only a plain identifier is accepted.
  CASSANDRA_KEYSPACE: documented(
    z
      .string()
      .regex(/^[a-zA-Z][a-zA-Z0-9_]{0,47}$/, 'expected a CQL identifier')
      .default(cassandra.keyspace),
    { meaning: 'the keyspace of `created_users`', readBy: sink },
  ),
  PGHOST: documented(z.string().default('127.0.0.1'), {
    meaning: 'PostgreSQL host',
    readBy: postgresClients,
    local: 'where `stack:up` found or started PostgreSQL, else as set',
  }),
  PGPORT: documented(port.default(ports.postgres), {
    meaning: 'PostgreSQL port',
    readBy: postgresClients,
    local: 'where `stack:up` found or started PostgreSQL, else as set',
  }),
  PGUSER: documented(z.string().optional(), {
    meaning: "PostgreSQL user; unset: the driver's default (the OS user)",
    readBy: postgresClients,
    local: 'where `stack:up` found or started PostgreSQL, else as set',
  }),
  PGDATABASE: documented(z.string().default(postgresDatabase), {
    meaning: 'the database of `users_raw` and the outbox',
    readBy: postgresClients,
    local: "PIPELINE_PGDATABASE, else the stack's database",
  }),
  EVENT_BUS_NAME: documented(z.string().default('default'), {
    meaning: 'the EventBridge bus the functions put events on',
    readBy: eventPublishers,
  }),
  EVENTBRIDGE_ENDPOINT: documented(z.url({ protocol: /^https?$/ }).optional(), {
    meaning: "an EventBridge endpoint other than AWS's, such as a local one",
    readBy: eventPublishers,
    local: 'the local EventBridge unless set',
  }),
  RANDOMUSER_URL: documented(z.url({ protocol: /^https?$/ }).default(localRandomuserUrl), {
    meaning: 'the randomuser API; the real one is `https://randomuser.me/api/1.4/`',
    readBy: fetch,
    local: 'the local randomuser API unless set',
  }),
  FETCH_TOTAL: documented(z.coerce.number().int().min(1).max(1_000_000).default(1000), {
    meaning: 'users per scheduled run',
    readBy: fetch,
  }),
  FETCH_PAGE_SIZE: documented(
    z.coerce.number().int().min(1).max(limits.randomuserMaxResults).default(limits.randomuserMaxResults),
    {
      meaning: `users per request (randomuser serves at most ${limits.randomuserMaxResults})`,
      readBy: fetch,
    },
  ),
  FETCH_NAT: documented(
    z
      .string()
      .regex(/^[a-zA-Z]{2}(,[a-zA-Z]{2})*$/, 'expected comma-separated nationality codes such as GB,FR')
      .optional(),
    { meaning: 'nationalities to ask for, e.g. `GB,FR`; unset: all', readBy: fetch },
  ),
  FETCH_TIMEOUT_MS: documented(z.coerce.number().int().min(100).default(15_000), {
    meaning: 'milliseconds one randomuser request may take',
    readBy: fetch,
  }),
  FETCH_MAX_ATTEMPTS: documented(z.coerce.number().int().min(1).max(20).default(6), {
    meaning: 'attempts per randomuser request before the run fails',
    readBy: fetch,
  }),
  // 5000 users take about 7 MB of JSON; more than this is not a randomuser response.
  FETCH_MAX_RESPONSE_BYTES: documented(
    z.coerce
      .number()
      .int()
      .min(1024)
      .default(16 * 1024 * 1024),
    { meaning: 'a larger randomuser response is refused without retrying', readBy: fetch },
  ),
  KAFKA_TOPIC: documented(z.string().min(1).default(topics.usersCreated.name), {
    meaning: 'the topic the relay publishes users to',
    readBy: relay,
  }),
  KAFKA_DLQ_TOPIC: documented(z.string().min(1).default(topics.deadLetter.name), {
    meaning: 'the dead-letter topic of the sink',
    readBy: sink,
  }),
  KAFKA_MAX_MESSAGE_BYTES: documented(
    z.coerce.number().int().min(1024).default(limits.kafkaMaxMessageBytes),
    {
      meaning: "the broker's `message.max.bytes` less headroom; a larger outbox message is marked dead",
      readBy: relay,
    },
  ),
  OUTBOX_BATCH_SIZE: documented(z.coerce.number().int().min(1).max(10_000).default(500), {
    meaning: 'outbox rows the relay claims per batch',
    readBy: relay,
  }),
  RELAY_TIME_MARGIN_MS: documented(z.coerce.number().int().min(0).default(5_000), {
    meaning: 'the relay stops claiming when less than this remains of the invocation',
    readBy: relay,
  }),
  SINK_CONCURRENCY: documented(z.coerce.number().int().min(1).max(2048).default(128), {
    meaning: 'Cassandra requests (a batch or a statement) in flight per sink-users instance',
    readBy: sink,
  }),
  // 10 rows per request, not 1: a request's fixed cost (framing, the commit-log sync it waits on) was most of
  // a row's here, and Cassandra warns of unlogged batches across more than 10 partitions (see sink.ts).
  CASSANDRA_BATCH_SIZE: documented(z.coerce.number().int().min(1).max(keyspacesMaxBatch).default(10), {
    meaning: `rows per unlogged batch, at most ${keyspacesMaxBatch} (Keyspaces' limit); 1: each row on its own`,
    readBy: sink,
  }),
  CASSANDRA_WRITE_ATTEMPTS: documented(z.coerce.number().int().min(1).max(10).default(3), {
    meaning: 'attempts per write that Cassandra throttled or timed out, before the invocation fails',
    readBy: sink,
  }),
  AWS_REGION: documented(awsRegion.optional(), {
    meaning: 'the region IAM (MSK) and SigV4 (Keyspaces) sign for; Lambda sets it',
    readBy: kafkaClients,
    local: "the provider's region (`--region`)",
  }),
  KAFKA_AUTH: documented(z.enum(kafkaAuthModes).default('none'), {
    meaning: `how the Kafka client authenticates: ${kafkaAuthModes.join(', ')}`,
    readBy: kafkaClients,
  }),
  KAFKA_TLS: documented(flag.optional(), {
    meaning: 'TLS to the brokers; unset: on whenever KAFKA_AUTH is not `none`',
    readBy: kafkaClients,
  }),
  KAFKA_SCRAM_SECRET_ARN: documented(secretArn.optional(), {
    meaning: 'the Secrets Manager secret holding the SCRAM username and password (KAFKA_AUTH=scram)',
    readBy: kafkaClients,
  }),
  CASSANDRA_AUTH: documented(z.enum(cassandraAuthModes).default('none'), {
    meaning: `how the Cassandra client authenticates: ${cassandraAuthModes.join(', ')} (Amazon Keyspaces)`,
    readBy: sink,
  }),
  CASSANDRA_TLS: documented(flag.optional(), {
    meaning: 'TLS to Cassandra; unset: on with CASSANDRA_AUTH=sigv4',
    readBy: sink,
  }),
  PGSSLMODE: documented(z.enum(pgSslModes).default('disable'), {
    meaning: `TLS to PostgreSQL: ${pgSslModes.join(', ')}`,
    readBy: postgresClients,
  }),
  PG_SECRET_ARN: documented(secretArn.optional(), {
    meaning: "the Secrets Manager secret holding PostgreSQL's password, read at run time",
    readBy: postgresClients,
  }),
  // Unset keeps the values plain JSON; a stage turns the wire format on by naming its registry (serverless.yml's
  // local stage names the stack's).
  SCHEMA_REGISTRY_URL: documented(z.url({ protocol: /^https?$/ }).optional(), {
    meaning:
      "a Confluent-compatible Schema Registry's API (e.g. Apicurio's `/apis/ccompat/v7`); set: publish-users " +
      "writes values in the Confluent wire format with the registered schema's id, and sink-users checks each " +
      'id there; unset or empty: plain JSON, and ids are not checked',
    readBy: kafkaClients,
    local:
      "the stack's registry (`http://127.0.0.1:8081/apis/ccompat/v7`, following `REGISTRY_PORT`); empty (`SCHEMA_REGISTRY_URL=`): plain JSON",
  }),
  SECRETS_MAX_AGE_SECONDS: documented(
    z.coerce.number().int().min(0).max(86_400).default(limits.secretsMaxAgeSeconds),
    {
      meaning: 'seconds a secret is reused before it is fetched again (rotation)',
      readBy: ['store-users', 'publish-users', 'sink-users'],
    },
  ),
});

/** The name of every setting, in the order of the schema. */
export const settingNames = Object.keys(envSchema.shape) as readonly (keyof typeof envSchema.shape)[];

/** One row of the settings table. */
export interface SettingRow extends SettingDoc {
  name: string;
  /** The default as the environment would spell it; undefined when unset means something of its own. */
  defaultValue: string | undefined;
}

/** Every setting with its default and documentation, for the generated table. */
export function settingRows(): SettingRow[] {
  return settings(envSchema.shape).map(({ name, defaultValue, doc }) => ({ name, defaultValue, ...doc }));
}

type Env = z.output<typeof envSchema>;

/** Rules that tie settings together; each issue is raised on the setting to change. */
function checkCombinations(env: Env, ctx: z.RefinementCtx): void {
  const issue = (setting: keyof Env, message: string) =>
    ctx.addIssue({ code: 'custom', path: [setting], message });
  const needsRegion = env.KAFKA_AUTH === 'iam' || env.CASSANDRA_AUTH === 'sigv4';
  if (needsRegion && env.AWS_REGION === undefined) {
    issue('AWS_REGION', 'required when KAFKA_AUTH=iam or CASSANDRA_AUTH=sigv4');
  }
  if (env.KAFKA_AUTH !== 'none' && env.KAFKA_TLS === false) {
    issue('KAFKA_TLS', `must be true when KAFKA_AUTH=${env.KAFKA_AUTH}`);
  }
  if (env.KAFKA_AUTH === 'scram' && env.KAFKA_SCRAM_SECRET_ARN === undefined) {
    issue('KAFKA_SCRAM_SECRET_ARN', 'required when KAFKA_AUTH=scram');
  }
  if (env.KAFKA_AUTH !== 'scram' && env.KAFKA_SCRAM_SECRET_ARN !== undefined) {
    issue('KAFKA_SCRAM_SECRET_ARN', 'set only with KAFKA_AUTH=scram');
  }
  if (env.CASSANDRA_AUTH === 'sigv4') {
    if (env.CASSANDRA_TLS === false) issue('CASSANDRA_TLS', 'must be true when CASSANDRA_AUTH=sigv4');
    const wrongPort = env.CASSANDRA_CONTACT_POINTS.filter((point) => !point.endsWith(`:${keyspacesPort}`));
    if (wrongPort.length > 0) {
      issue(
        'CASSANDRA_CONTACT_POINTS',
        `Amazon Keyspaces (CASSANDRA_AUTH=sigv4) listens on port ${keyspacesPort} only; give it as host:${keyspacesPort}`,
      );
    }
  }
  if (env.PG_SECRET_ARN !== undefined) {
    if (env.PGUSER === undefined) issue('PGUSER', 'required when PG_SECRET_ARN is set');
    if (env.PGSSLMODE === 'disable') {
      issue(
        'PGSSLMODE',
        'must be require or verify-full when PG_SECRET_ARN is set: the password must not cross in clear',
      );
    }
  }
}

// The combinations are checked in the transform, which runs only when every setting parsed on its own, so a
// malformed setting is reported as itself rather than as the rules it then breaks.
const configSchema = envSchema.transform((env, ctx) => {
  checkCombinations(env, ctx);
  return configOf(env);
});

const configOf = (env: Env) => ({
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
  schemaRegistry: { url: env.SCHEMA_REGISTRY_URL },
  relay: {
    batchSize: env.OUTBOX_BATCH_SIZE,
    maxMessageBytes: env.KAFKA_MAX_MESSAGE_BYTES,
    timeMarginMs: env.RELAY_TIME_MARGIN_MS,
  },
  sink: {
    concurrency: env.SINK_CONCURRENCY,
    batchSize: env.CASSANDRA_BATCH_SIZE,
    writeAttempts: env.CASSANDRA_WRITE_ATTEMPTS,
  },
  // Kept apart from `kafka`, `cassandra` and `postgres` so that a client built from those alone (tests,
  // scripts) gets the local stack's plain connections.
  kafkaSecurity: kafkaSecurity(env),
  cassandraSecurity: cassandraSecurity(env),
  postgresSecurity: { sslMode: env.PGSSLMODE, secretArn: env.PG_SECRET_ARN },
  secrets: { maxAgeSeconds: env.SECRETS_MAX_AGE_SECONDS },
});

/** How the Kafka client proves who it is. */
export type KafkaAuth =
  | { mechanism: 'none' }
  | { mechanism: 'iam'; region: string }
  | { mechanism: 'scram'; secretArn: string };

/** How the Cassandra client proves who it is. */
export type CassandraAuth = { mechanism: 'none' } | { mechanism: 'sigv4'; region: string };

// The combinations were checked by checkCombinations; the fallbacks below are never taken.
function kafkaSecurity(env: Env): { tls: boolean; auth: KafkaAuth } {
  const tls = env.KAFKA_TLS ?? env.KAFKA_AUTH !== 'none';
  switch (env.KAFKA_AUTH) {
    case 'iam':
      return { tls, auth: { mechanism: 'iam', region: env.AWS_REGION ?? '' } };
    case 'scram':
      return { tls, auth: { mechanism: 'scram', secretArn: env.KAFKA_SCRAM_SECRET_ARN ?? '' } };
    default:
      return { tls, auth: { mechanism: 'none' } };
  }
}

function cassandraSecurity(env: Env): { tls: boolean; auth: CassandraAuth } {
  const tls = env.CASSANDRA_TLS ?? env.CASSANDRA_AUTH === 'sigv4';
  return env.CASSANDRA_AUTH === 'sigv4'
    ? { tls, auth: { mechanism: 'sigv4', region: env.AWS_REGION ?? '' } }
    : { tls, auth: { mechanism: 'none' } };
}

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
