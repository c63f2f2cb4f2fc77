/**
 * The functions' environment on this stack, written once: the stack's endpoints (and one run's names) as the
 * settings the functions read (functions/lib/settings.ts), plus the variables serverless.yml's `local` stage
 * reads as its own inputs, so that `sls offline start` given this environment points the functions at the
 * same servers and names. `npm start`, the benchmarks and the integration tests all build theirs here.
 */
import { cassandraContactPoint, kafkaBroker, type StackConfig } from './config.ts';
import { type PostgresEndpoint, resolvePostgres } from './endpoints.ts';

/** What one run of the pipeline uses on the stack. Each name defaults to the stack config's. */
export interface FunctionRun {
  /** The PostgreSQL server; default where the stack recorded it (`resolvePostgres`, which reads a file). */
  postgres?: PostgresEndpoint | undefined;
  /** Default the stack config's database (PIPELINE_PGDATABASE), not the recorded one. */
  database?: string | undefined;
  topic?: string | undefined;
  deadLetterTopic?: string | undefined;
  keyspace?: string | undefined;
  /** Where fetch-users fetches; unset, the functions' default (the local randomuser API). */
  randomuserUrl?: string | undefined;
  /**
   * Where the functions put events; unset, no EVENTBRIDGE_ENDPOINT: the SDK's own endpoint under
   * `parseConfig`, serverless.yml's local default under `sls`.
   */
  eventBridgeEndpoint?: string | undefined;
}

/**
 * The environment of the functions of `run` on `stack`: KAFKA_BROKERS, CASSANDRA_*, PG*, the topics, and
 * RANDOMUSER_URL and EVENTBRIDGE_ENDPOINT when the run names them; with the inputs of serverless.yml's local
 * stage (KAFKA_PORT, CASSANDRA_PORT, REGISTRY_PORT, LOCAL_STACK_DIR, PIPELINE_PGDATABASE, LOCAL_EVENTBUS_PORT, and
 * LOCAL_EVENTBUS_PGHOST/PGPORT when the stack config sets them) set to the same values. `parseConfig` ignores the latter; serverless-offline
 * gives the functions only what serverless.yml sets, so the former do not bypass the stage.
 */
export function functionEnv(stack: StackConfig, run: FunctionRun = {}): Record<string, string> {
  const postgres = run.postgres ?? resolvePostgres(stack);
  const database = run.database ?? stack.postgres.database;
  return {
    KAFKA_BROKERS: kafkaBroker(stack),
    KAFKA_TOPIC: run.topic ?? stack.pipeline.topic,
    KAFKA_DLQ_TOPIC: run.deadLetterTopic ?? stack.pipeline.deadLetterTopic,
    CASSANDRA_CONTACT_POINTS: cassandraContactPoint(stack),
    CASSANDRA_LOCAL_DC: stack.cassandra.localDataCenter,
    CASSANDRA_KEYSPACE: run.keyspace ?? stack.pipeline.keyspace,
    PGHOST: postgres.host,
    PGPORT: String(postgres.port),
    PGUSER: postgres.user,
    PGDATABASE: database,
    ...(run.randomuserUrl === undefined ? {} : { RANDOMUSER_URL: run.randomuserUrl }),
    ...(run.eventBridgeEndpoint === undefined ? {} : { EVENTBRIDGE_ENDPOINT: run.eventBridgeEndpoint }),
    KAFKA_PORT: String(stack.kafka.port),
    CASSANDRA_PORT: String(stack.cassandra.port),
    // serverless.yml's default SCHEMA_REGISTRY_URL is the registry on this port. The URL itself is not set
    // here: `SCHEMA_REGISTRY_URL=` (empty) in the caller's environment must still turn the format off.
    REGISTRY_PORT: String(stack.registry.port),
    // serverless.yml reads PGHOST, PGPORT and PGUSER from the record in this folder before the variables.
    LOCAL_STACK_DIR: stack.stateDir,
    PIPELINE_PGDATABASE: database,
    LOCAL_EVENTBUS_PORT: String(stack.eventBus.port),
    ...(stack.eventBus.postgres.host === undefined
      ? {}
      : { LOCAL_EVENTBUS_PGHOST: stack.eventBus.postgres.host }),
    ...(stack.eventBus.postgres.port === undefined
      ? {}
      : { LOCAL_EVENTBUS_PGPORT: String(stack.eventBus.postgres.port) }),
  };
}

/** The PutEvents endpoint of the local EventBridge on the stack's port (infra/eventbus). */
export function localEventBusEndpoint(stack: Pick<StackConfig, 'eventBus'>): string {
  return `http://127.0.0.1:${stack.eventBus.port}`;
}

/**
 * The function settings that a run on the stack takes from the stack, and the stack setting that moves each.
 * `sls invoke local` takes them from the environment when set; `npm start` runs the functions on its own
 * stack, so it refuses them instead of ignoring them.
 */
const stackOwned = {
  KAFKA_BROKERS: (stack: StackConfig) => ({ value: kafkaBroker(stack), moveWith: 'KAFKA_PORT' }),
  CASSANDRA_CONTACT_POINTS: (stack: StackConfig) => ({
    value: cassandraContactPoint(stack),
    moveWith: 'CASSANDRA_PORT',
  }),
  CASSANDRA_LOCAL_DC: (stack: StackConfig) => ({
    value: stack.cassandra.localDataCenter,
    moveWith: 'nothing: the local node has one data centre',
  }),
} as const;

/**
 * Each function setting of `env` that a run on `stack` would override with the stack's own value, as a line
 * that says what to do instead; empty when there is none.
 */
export function stackOverrides(
  env: Readonly<Record<string, string | undefined>>,
  stack: StackConfig,
): string[] {
  return Object.entries(stackOwned).flatMap(([name, of]) => {
    const given = env[name];
    const { value, moveWith } = of(stack);
    if (given === undefined || given === '' || given === value) return [];
    return [
      `${name}=${given}: the functions use the stack's ${value}; unset ${name} (to move it: ${moveWith})`,
    ];
  });
}
