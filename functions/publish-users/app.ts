/**
 * `publish-users`: the transactional-outbox relay. EventBridge `UsersStored` events and a schedule sweep
 * both trigger it, and either means "drain the outbox": it claims batches of unpublished rows, sends them to
 * Kafka `users_created` keyed by user id with `acks=all`, and marks each row published only after the broker
 * acknowledged it, or dead when it can never be published. It stops when the outbox is empty or the
 * invocation is about to run out of time; a transient Kafka failure rolls the batch back and fails the run,
 * so the next trigger retries it.
 *
 * This module is the function's factory: `createHandler(deps)` and `depsFor(config)`. Importing it reads no
 * environment and builds no client; the entry point, handler.ts, wires it to the process's config.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { createRecordSender, kafkaFor, type RecordSender } from '../lib/kafka.ts';
import { createLogger } from '../lib/logger.ts';
import { createOutbox, type Outbox } from '../lib/outbox.ts';
import { createPool } from '../lib/postgres.ts';
import { publishedSchemaText } from '../lib/published-schemas.ts';
import { createSchemaRegistry, valueSubject } from '../lib/registry.ts';
import { createWriterSchemaId } from '../lib/schema-ids.ts';
import type { Config } from '../lib/settings.ts';
import { describeTrigger, nextStep, type StopReason } from './core.ts';
import { publishMessages } from './send.ts';

/** What the relay needs. */
export interface PublishUsersDeps {
  config: Pick<Config, 'topics' | 'relay'>;
  logger: Logger;
  outbox: Outbox;
  sender: RecordSender;
  now: () => Date;
  /**
   * The registry id of the schema the values are written with (the topic's subject's version whose text is
   * the published `users-created.value.v1.json`), when a Schema Registry is configured: the values then go in
   * the Confluent wire format. Unset: plain JSON.
   */
  valueSchemaId?: (() => Promise<number>) | undefined;
}

/** The part of the Lambda context the relay reads. */
export interface RelayContext {
  getRemainingTimeInMillis(): number;
}

/** What one run did. */
export interface RelayResult {
  /** Batches claimed; when the outbox ran empty, the last one was short or empty. */
  batches: number;
  published: number;
  dead: number;
  stoppedBecause: StopReason;
}

export const defaults = {
  /** The time budget of a run without a Lambda context (tests, `sls invoke local`). */
  budgetMs: 60_000,
};

/**
 * Builds the relay handler from its dependencies.
 *
 * @param deps - the config, a logger, the outbox, a Kafka sender and a clock
 * @returns a handler for any event; it resolves with the run's counts
 * @throws (the returned handler) the first failure of a batch: a retryable {@link TransientError} when Kafka
 *   or PostgreSQL is unavailable, after rolling that batch back; earlier batches stay published. Before any
 *   batch, a `ConfigError` (`SCHEMA_NOT_REGISTERED`) when the registry does not hold the value's schema, or a
 *   `SchemaRegistryError` when it cannot answer; nothing is claimed then
 */
export function createHandler(
  deps: PublishUsersDeps,
): (event: unknown, context?: RelayContext) => Promise<RelayResult> {
  const { topics, relay } = deps.config;
  return async (event, context) => {
    // Asked of the registry once per process, before any row is claimed.
    const schemaId = await deps.valueSchemaId?.();
    const publishDeps = {
      sender: deps.sender,
      topic: topics.usersCreated,
      maxMessageBytes: relay.maxMessageBytes,
      logger: deps.logger,
      schemaId,
    };
    const deadline = deps.now().getTime() + defaults.budgetMs;
    const remainingMs = context
      ? () => context.getRemainingTimeInMillis()
      : () => deadline - deps.now().getTime();
    // One INFO line per invocation, at its end: the relay runs once per UsersStored event and every sweep, so
    // a line per batch and one at the start tripled the log volume (CloudWatch bills it by the byte) and, in a
    // profile of the local benchmark, took 6% of the relay's CPU without saying anything the last line does not.
    const about = {
      trigger: describeTrigger(event),
      topic: topics.usersCreated,
      ...(schemaId === undefined ? {} : { schemaId }),
    };
    deps.logger.debug('relaying outbox', about);

    const result: RelayResult = { batches: 0, published: 0, dead: 0, stoppedBecause: 'empty' };
    let claimed: number | undefined;
    for (;;) {
      const step = nextStep({
        claimed,
        limit: relay.batchSize,
        remainingMs: remainingMs(),
        marginMs: relay.timeMarginMs,
      });
      if (step !== 'continue') {
        result.stoppedBecause = step;
        break;
      }
      const outcome = await deps.outbox.relayBatch(relay.batchSize, async (messages) => {
        const verdict = await publishMessages(messages, publishDeps);
        for (const dead of verdict.dead) {
          deps.logger.warn('outbox row is dead', { outboxId: dead.id, error: dead.error });
        }
        return verdict;
      });
      claimed = outcome.claimed;
      result.batches += 1;
      result.published += outcome.published;
      result.dead += outcome.dead;
      deps.logger.debug('outbox batch relayed', { batch: result.batches, ...outcome });
    }
    deps.logger.info('outbox relay finished', { ...about, ...result });
    return result;
  };
}

/** The dependencies the deployed function runs with, built from a config. */
export function depsFor(cfg: Config): PublishUsersDeps {
  const logger = createLogger('publish-users', { level: cfg.logLevel, stage: cfg.stage });
  const registryUrl = cfg.schemaRegistry.url;
  return {
    config: cfg,
    logger,
    outbox: createOutbox(createPool(cfg), { logger }),
    sender: createRecordSender(kafkaFor(cfg)),
    now: () => new Date(),
    valueSchemaId:
      registryUrl === undefined
        ? undefined
        : createWriterSchemaId(
            createSchemaRegistry({ url: registryUrl }),
            valueSubject(cfg.topics.usersCreated),
            publishedSchemaText('users-created.value.v1.json'),
          ),
  };
}
