/**
 * `sink-users`: the last hop of the pipeline. A Kafka event source (self-managed Kafka or MSK, or the local
 * emulation) delivers batches of `users_created` records; this function upserts one `created_users` row per
 * user id into Cassandra and sends the records that can never be written to the dead-letter topic.
 *
 * A batch succeeds only when every row is written or dead-lettered with the broker's acknowledgement; any
 * transient failure (Cassandra or Kafka down, timeouts) rejects the invocation so the event source retries
 * the whole batch, which the idempotent upserts make harmless. Transient failures are never dead-lettered.
 *
 * This module is the function's factory: `createHandler(deps)` and `depsFor(config)`. Importing it reads no
 * environment and builds no client; the entry point, handler.ts, wires it to the process's config.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { createCassandraClient } from '../lib/cassandra.ts';
import { createRecordSender, kafkaFor, type RecordSender } from '../lib/kafka.ts';
import { eventRecords, parseKafkaEvent, recordRef } from '../lib/kafka-event.ts';
import { createLogger } from '../lib/logger.ts';
import { createSchemaRegistry, valueSubject } from '../lib/registry.ts';
import { createSchemaVersions, type SchemaVersions } from '../lib/schema-ids.ts';
import type { Config } from '../lib/settings.ts';
import { type FailedRecord, type KnownSchemaIds, planSink, schemaIdsOf, toDeadLetter } from './core.ts';
import { createUserSink, type UserSink } from './sink.ts';

/** What the sink handler needs. */
export interface SinkDeps {
  config: Pick<Config, 'topics'>;
  logger: Logger;
  sink: UserSink;
  deadLetters: RecordSender;
  now: () => Date;
  /**
   * The versions of the topic's subject by schema id, when a Schema Registry is configured: the ids that
   * records carry are checked there. Unset: plain JSON and the wire format are both read, ids unchecked.
   */
  schemaVersions?: SchemaVersions | undefined;
}

/** What one invocation did. */
export interface SinkResult {
  /** Records in the event. */
  received: number;
  /** Rows Cassandra acknowledged. */
  written: number;
  /** Records sent to the dead-letter topic. */
  deadLettered: number;
  /** Valid records not written because a newer record of the same batch has the same id. */
  duplicates: number;
}

/**
 * Builds the sink handler from its dependencies.
 *
 * @param deps - the config (the dead-letter topic), a logger, the Cassandra sink, the dead-letter sender and
 *   a clock
 * @returns a Kafka event-source handler that resolves with the counts of the batch
 * @throws {@link ValidationError} when the event's envelope is malformed (not retryable)
 * @throws {@link TransientError} when Cassandra or the dead-letter topic fails for now; the batch is retried
 * @throws `CassandraStatementError` when Cassandra refuses the statement itself (schema, permissions)
 * @throws `SchemaRegistryError` when the registry cannot say whether a schema id is known; nothing is written
 *   or dead-lettered, and the batch is retried
 */
export function createHandler(deps: SinkDeps): (event: unknown) => Promise<SinkResult> {
  return async (event) => {
    const parsed = parseKafkaEvent(event);
    const records = eventRecords(parsed);
    // Before anything is written: a registry that cannot answer fails the batch rather than dead-letter it.
    const schemaIds =
      deps.schemaVersions === undefined ? undefined : await knownIds(records, deps.schemaVersions);
    const plan = planSink(records, schemaIds);

    // Rows first: a transient Cassandra failure throws here, before anything is dead-lettered.
    const outcome = await deps.sink.upsert(plan.rows.map((planned) => planned.row));
    const failed: FailedRecord[] = [
      ...plan.rejected,
      ...outcome.failures.flatMap((failure) => {
        const planned = plan.rows[failure.index];
        return planned === undefined ? [] : [{ record: planned.record, error: failure.error }];
      }),
    ];

    if (failed.length > 0) {
      const failedAt = deps.now();
      await deps.deadLetters.send(
        deps.config.topics.deadLetter,
        failed.map((f) => toDeadLetter(f, failedAt)),
      );
      for (const { record, error } of failed) {
        deps.logger.warn('record dead-lettered', {
          topic: record.topic,
          partition: record.partition,
          offset: record.offset,
          record: recordRef(record),
          errorType: error.code,
          error: error.message,
          deadLetterTopic: deps.config.topics.deadLetter,
        });
      }
    }

    const result: SinkResult = {
      received: records.length,
      written: outcome.written,
      deadLettered: failed.length,
      duplicates: plan.duplicates,
    };
    deps.logger.info('batch sunk', { ...result, partitions: Object.keys(parsed.records) });
    return result;
  };
}

/** The registry's answer for each schema id the records carry (see `schemaIdsOf`). */
async function knownIds(
  records: Parameters<typeof schemaIdsOf>[0],
  versions: SchemaVersions,
): Promise<KnownSchemaIds> {
  const ids = schemaIdsOf(records);
  return new Map(
    await Promise.all(ids.map(async (id) => [id, (await versions.versionOf(id))?.version] as const)),
  );
}

/** The dependencies the deployed function runs with, built from a config; the clients connect on first use. */
export function depsFor(cfg: Config): SinkDeps {
  const registryUrl = cfg.schemaRegistry.url;
  return {
    config: cfg,
    logger: createLogger('sink-users', { level: cfg.logLevel, stage: cfg.stage }),
    sink: createUserSink(createCassandraClient(cfg), cfg),
    deadLetters: createRecordSender(kafkaFor(cfg)),
    now: () => new Date(),
    schemaVersions:
      registryUrl === undefined
        ? undefined
        : createSchemaVersions(
            createSchemaRegistry({ url: registryUrl }),
            valueSubject(cfg.topics.usersCreated),
          ),
  };
}
