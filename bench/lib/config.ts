/** The functions' config for a benchmark phase: the local stage's settings, on the phase's names. */
import { type Config, parseConfig } from '../../functions/lib/settings.ts';
import type { StackConfig } from '../../infra/local/config.ts';
import { resolvePostgres } from '../../infra/migrations/migrate.ts';
import type { RunNames } from './pipeline.ts';

/**
 * What serverless.yml's `local` params give the functions, pointed at `names`, at the log level a deployed
 * stage uses.
 */
export function functionConfig(cfg: StackConfig, names: RunNames, env: Record<string, string> = {}): Config {
  const pg = resolvePostgres(cfg);
  return parseConfig({
    STAGE: 'local',
    LOG_LEVEL: 'WARN',
    KAFKA_BROKERS: `${cfg.kafka.host}:${cfg.kafka.port}`,
    KAFKA_CLIENT_ID: 'bench',
    CASSANDRA_CONTACT_POINTS: `${cfg.cassandra.host}:${cfg.cassandra.port}`,
    CASSANDRA_LOCAL_DC: cfg.cassandra.localDataCenter,
    CASSANDRA_KEYSPACE: names.keyspace,
    PGHOST: pg.host,
    PGPORT: String(pg.port),
    PGUSER: pg.user,
    PGDATABASE: names.database,
    KAFKA_TOPIC: names.topic,
    KAFKA_DLQ_TOPIC: names.deadLetterTopic,
    FETCH_TOTAL: '1000',
    ...env,
  });
}
