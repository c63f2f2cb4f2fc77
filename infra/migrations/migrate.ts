/**
 * infra/migrations holds the pipeline's schemas and what applies them: versioned, idempotent migrations for
 * its three stateful systems, PostgreSQL (`postgres/NNNN_name.sql`), Cassandra (`cassandra/NNNN_name.cql`) and
 * the Kafka topics (`topics.ts`), and the Schema Registry's subject of the topic's values with its
 * compatibility rule (`registry.ts`). It builds on the stack (infra/local) for where the servers answer, and the
 * stack never imports it. `npm run migrate` runs them through `cli.ts`; `npm start` (infra/dev/ready.ts) and
 * the integration tests' global setup call `migrate` directly.
 *
 * The runner is hand-written rather than built on node-pg-migrate, Flyway or cassandra-migrate because no one
 * tool covers all three systems, the JVM tools would add a second toolchain to a Node repository, and the
 * rules we need are few enough to read in one sitting: one naming scheme for both languages; a SHA-256
 * checksum per applied file, so an edited migration is an error instead of silent drift; a lock per target,
 * so concurrent runs apply each file once; and overridable names (database, keyspace, topics), so tests run
 * in isolation on the shared servers.
 */
import { join } from 'node:path';
import { createSchemaRegistry, valueSubject } from '../../functions/lib/registry.ts';
import { errorText } from '../../lib/errors.ts';
import { repoRoot } from '../../lib/paths.ts';
import {
  cassandraContactPoint,
  kafkaBroker,
  loadStackConfig,
  type StackConfig,
  schemaRegistryUrl,
} from '../local/config.ts';
import { type PostgresEndpoint, resolvePostgres } from '../local/endpoints.ts';
import { portOpen } from '../local/proc.ts';
import {
  type CassandraMigrationOptions,
  type CassandraSummary,
  cassandraDefaults,
  migrateCassandra,
} from './cassandra.ts';
import { MigrationError } from './errors.ts';
import { type KafkaMigrationOptions, type KafkaSummary, kafkaDefaults, migrateKafka } from './kafka.ts';
import {
  migratePostgres,
  type PostgresMigrationOptions,
  type PostgresSummary,
  postgresDefaults,
} from './postgres.ts';
import {
  migrateRegistry,
  type RegistryMigrationOptions,
  type RegistrySummary,
  registryDefaults,
} from './registry.ts';
import { type MigrationTarget, migrationTargets } from './types.ts';

export type { CassandraSummary, Replication } from './cassandra.ts';
export * from './errors.ts';
export type { KafkaSummary, TopicOutcome, TopicSpec } from './kafka.ts';
export type { PostgresSummary } from './postgres.ts';
export type { RegistrySummary } from './registry.ts';
export { type AppliedMigration, type MigrationRef, type MigrationTarget, migrationTargets } from './types.ts';

/** Directory of this module, which holds the `postgres/` and `cassandra/` migration folders. */
export const migrationsDir = join(repoRoot, 'infra', 'migrations');

/** The published schema of a `users_created` value, which the registry step registers. */
export const usersCreatedSchemaFile = join(repoRoot, 'events', 'schemas', 'users-created.value.v1.json');

/** Overrides for `migrate`. Everything defaults to the local stack, as `loadStackConfig(process.env)` reads it. */
export interface MigrateOptions {
  /** Stack settings; default `loadStackConfig()`. */
  config?: StackConfig;
  postgres?: Partial<Omit<PostgresMigrationOptions, 'log' | 'endpoint'>> & {
    /** Default `resolvePostgres(config)`. */
    endpoint?: PostgresEndpoint;
    /** Database to migrate, replacing the endpoint's; tests use a unique one per run. */
    database?: string;
  };
  cassandra?: Partial<Omit<CassandraMigrationOptions, 'log'>>;
  kafka?: Partial<Omit<KafkaMigrationOptions, 'log'>>;
  /**
   * The subject defaults to the value subject of the first Kafka topic (`users_created-value`), the client to
   * the stack's registry (`schemaRegistryUrl(config)`), and `whenAbsent` to `skip` with LOCAL_STACK_EXTERNAL
   * (servers someone else runs may have no registry) and `fail` otherwise (`stack:up` starts one).
   */
  registry?: Partial<Omit<RegistryMigrationOptions, 'log'>>;
  /** Progress lines, one call each; default: none. */
  log?: (target: MigrationTarget, message: string) => void;
}

/** What a `migrate` run did, per selected target. */
export interface MigrationSummary {
  postgres?: PostgresSummary;
  cassandra?: CassandraSummary;
  kafka?: KafkaSummary;
  registry?: RegistrySummary;
  /** True when this run applied a file or created or grew anything. */
  changed: boolean;
}

/** One or more targets failed; `summary` holds the targets that succeeded. */
export class MigrationFailedError extends MigrationError {
  readonly failures: ReadonlyArray<{ target: MigrationTarget; error: unknown }>;
  readonly summary: MigrationSummary;

  constructor(
    failures: ReadonlyArray<{ target: MigrationTarget; error: unknown }>,
    summary: MigrationSummary,
  ) {
    const lines = failures.map((f) => `${f.target}: ${errorText(f.error)}`);
    super(`migration failed: ${lines.join('; ')}`, {
      code: 'MIGRATION_FAILED',
      cause: failures.length === 1 ? failures[0]?.error : new AggregateError(failures.map((f) => f.error)),
      retryable: failures.every((f) => f.error instanceof MigrationError && f.error.retryable),
    });
    this.failures = failures;
    this.summary = summary;
  }
}

/**
 * Brings the selected targets up to date: creates the PostgreSQL database and the Cassandra keyspace when
 * missing, applies pending migration files, creates or grows the Kafka topics, and registers the topic's value
 * schema with a BACKWARD (or stricter) rule. Targets run in parallel; running it again changes nothing, and
 * concurrent runs are safe.
 *
 * @param targets which systems to migrate; default all four.
 * @returns what was applied or created, and what was already present.
 * @throws MigrationFailedError listing every failed target; each failure is a `MigrationError` subclass
 *   such as `ServerUnreachableError` or `ChecksumMismatchError`.
 */
export async function migrate(
  targets: readonly MigrationTarget[] = migrationTargets,
  options: MigrateOptions = {},
): Promise<MigrationSummary> {
  const config = options.config ?? loadStackConfig();
  const logFor = (target: MigrationTarget) => (message: string) => options.log?.(target, message);
  const selected = migrationTargets.filter((t) => targets.includes(t));

  const run = (target: MigrationTarget): Promise<Partial<MigrationSummary>> => {
    switch (target) {
      case 'postgres': {
        const { endpoint, database, ...rest } = options.postgres ?? {};
        const base = endpoint ?? resolvePostgres(config);
        return migratePostgres({
          ...postgresDefaults,
          directory: join(migrationsDir, 'postgres'),
          ...rest,
          endpoint: { ...base, database: database ?? base.database },
          log: logFor('postgres'),
        }).then((postgres) => ({ postgres }));
      }
      case 'cassandra':
        return migrateCassandra({
          ...cassandraDefaults,
          contactPoints: [cassandraContactPoint(config)],
          localDataCenter: config.cassandra.localDataCenter,
          directory: join(migrationsDir, 'cassandra'),
          ...options.cassandra,
          log: logFor('cassandra'),
        }).then((cassandra) => ({ cassandra }));
      case 'kafka':
        return migrateKafka({
          ...kafkaDefaults,
          brokers: [kafkaBroker(config)],
          ...options.kafka,
          log: logFor('kafka'),
        }).then((kafka) => ({ kafka }));
      case 'registry': {
        const topic = options.kafka?.topics?.[0]?.topic ?? kafkaDefaults.topics[0].topic;
        const client = options.registry?.client ?? createSchemaRegistry({ url: schemaRegistryUrl(config) });
        const { hostname, port } = new URL(client.url);
        return migrateRegistry({
          ...registryDefaults,
          client,
          // Whether anything listens, not Apicurio's own health call: any Confluent-compatible registry will do.
          reachable: () => portOpen(hostname, Number(port || 80)),
          whenAbsent: config.external ? 'skip' : 'fail',
          subject: valueSubject(topic),
          schemaFile: usersCreatedSchemaFile,
          ...options.registry,
          log: logFor('registry'),
        }).then((registry) => ({ registry }));
      }
    }
  };

  // Promise.try would also turn a synchronous throw (a bad endpoint file) into a rejection; it needs Node 22.
  const settled = await Promise.allSettled(selected.map((t) => Promise.resolve().then(() => run(t))));
  const summary: MigrationSummary = { changed: false };
  const failures: Array<{ target: MigrationTarget; error: unknown }> = [];
  settled.forEach((result, i) => {
    const target = selected[i];
    if (target === undefined) return;
    if (result.status === 'fulfilled') Object.assign(summary, result.value);
    else failures.push({ target, error: result.reason });
  });
  summary.changed = hasChanges(summary);
  if (failures.length > 0) throw new MigrationFailedError(failures, summary);
  return summary;
}

function hasChanges(summary: MigrationSummary): boolean {
  const { postgres, cassandra, kafka, registry } = summary;
  return Boolean(
    registry?.action === 'registered' ||
      (registry?.action === 'present' && registry.previousCompatibility !== undefined) ||
      postgres?.databaseCreated ||
      postgres?.applied.length ||
      cassandra?.keyspaceCreated ||
      cassandra?.applied.length ||
      kafka?.topics.some((t) => t.action !== 'present'),
  );
}

/**
 * Parses a comma-separated target list such as `postgres,kafka`.
 *
 * @throws MigrationError naming an unknown target.
 */
export function parseTargets(list: string): MigrationTarget[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const targets: MigrationTarget[] = [];
  for (const name of names) {
    const target = migrationTargets.find((t) => t === name);
    if (!target) throw new MigrationError(`unknown target "${name}": use ${migrationTargets.join(', ')}`);
    if (!targets.includes(target)) targets.push(target);
  }
  if (targets.length === 0) throw new MigrationError(`no target given: use ${migrationTargets.join(', ')}`);
  return targets;
}

/** One line per target, and one per warning after its target's, for a terminal. */
export function formatSummary(summary: MigrationSummary): string[] {
  const lines: string[] = [];
  const files = (applied: ReadonlyArray<{ version: number; name: string }>) =>
    applied.map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`).join(', ');
  const versioned = (
    label: string,
    created: string | undefined,
    applied: ReadonlyArray<{ version: number; name: string }>,
    present: readonly unknown[],
  ) => {
    const parts = created ? [created] : [];
    if (applied.length > 0) parts.push(`applied ${files(applied)}`);
    if (present.length > 0) parts.push(`${present.length} already applied`);
    if (applied.length === 0 && !created) parts.unshift('up to date');
    lines.push(`${label}: ${parts.join('; ')}`);
  };
  const { postgres, cassandra, kafka, registry } = summary;
  if (postgres) {
    versioned(
      `postgres   database ${postgres.database} at ${postgres.endpoint}`,
      postgres.databaseCreated ? 'database created' : undefined,
      postgres.applied,
      postgres.present,
    );
    for (const warning of postgres.warnings ?? []) lines.push(`postgres   warning: ${warning}`);
  }
  if (cassandra) {
    versioned(
      `cassandra  keyspace ${cassandra.keyspace} at ${cassandra.endpoint}`,
      cassandra.keyspaceCreated ? 'keyspace created' : undefined,
      cassandra.applied,
      cassandra.present,
    );
  }
  if (kafka) {
    const topics = kafka.topics.map((t) => {
      if (t.action === 'increased')
        return `${t.topic} increased ${t.previousPartitions} -> ${t.partitions} partitions`;
      const note = t.partitions > t.required ? `, more than the ${t.required} required` : '';
      return `${t.topic} ${t.action} (${t.partitions} partition${t.partitions === 1 ? '' : 's'}${note})`;
    });
    lines.push(`kafka      topics at ${kafka.endpoint}: ${topics.join('; ')}`);
  }
  if (registry) {
    if (registry.action === 'skipped') {
      lines.push(`registry   skipped: ${registry.reason}`);
    } else {
      const rule =
        registry.previousCompatibility === undefined
          ? registry.compatibility
          : `${registry.compatibility} (set; was ${registry.previousCompatibility})`;
      const what = registry.action === 'registered' ? 'registered' : 'present';
      lines.push(
        `registry   ${registry.subject} at ${registry.endpoint}: ${what} as version ${registry.version} ` +
          `(schema id ${registry.id}); compatibility ${rule}`,
      );
    }
  }
  return lines;
}
