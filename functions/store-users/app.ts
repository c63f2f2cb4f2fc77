/**
 * `store-users` (EventBridge `UsersFetched`): writes each new user to PostgreSQL's `users_raw` with its
 * outbox row in the same transaction, then announces `UsersStored` so the relay publishes them at once.
 *
 * Users that fail validation, or hold text PostgreSQL cannot store, are rejected before the transaction, so
 * they never roll back their neighbours; each is logged with its reason and counted. A failure of PostgreSQL
 * or EventBridge is rethrown, and EventBridge retries the event: the insert ignores users it already has,
 * and the relay's schedule sweep publishes whatever an unannounced batch left in the outbox.
 *
 * This module is the function's factory: `createHandler(deps)` and `depsFor(config)`. Importing it reads no
 * environment and builds no client; the entry point, handler.ts, wires it to the process's config.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { type EventPublisher, eventPublisherFor } from '../lib/eventbridge.ts';
import { createLogger } from '../lib/logger.ts';
import { createPool } from '../lib/postgres.ts';
import { detailTypes, type UsersStored, usersFetchedEnvelopeSchema } from '../lib/schemas.ts';
import type { Config } from '../lib/settings.ts';
import { createUserStore, type UserStore } from '../lib/users-store.ts';
import { parse } from '../lib/validate.ts';
import { prepareUsers } from './core.ts';

/** What the store-users handler needs. */
export interface StoreUsersDeps {
  logger: Logger;
  store: UserStore;
  publisher: EventPublisher;
}

/** What one invocation did. */
export interface StoreSummary {
  batchId: string;
  received: number;
  stored: number;
  alreadyStored: number;
  rejected: number;
  duplicates: number;
}

const eventSchema = z
  .object({
    'detail-type': z.literal(detailTypes.usersFetched),
    detail: usersFetchedEnvelopeSchema,
  })
  .loose();

/**
 * Builds the store-users handler from its dependencies.
 *
 * @throws {@link ValidationError} for an event that is not a `UsersFetched` event (not retryable)
 * @throws a typed, retryable error when PostgreSQL or EventBridge is unavailable
 */
export function createHandler(deps: StoreUsersDeps) {
  return async (event: unknown): Promise<StoreSummary> => {
    const { detail } = parse(eventSchema, event, 'UsersFetched event');
    const { batchId } = detail;
    const prepared = prepareUsers(detail.users, detail, `UsersFetched ${batchId}`);
    for (const r of prepared.rejected) {
      deps.logger.warn('rejected a user', {
        batchId,
        index: r.index,
        userId: r.userId,
        code: r.error.code,
        reason: r.error.message,
      });
    }

    const stored = await deps.store.insertWithOutbox({
      batchId,
      fetchedAt: detail.fetchedAt,
      users: prepared.users,
    });
    const announcement: UsersStored = { schemaVersion: 1, batchId, count: stored.length };
    // Announced even when nothing was new: a retry after a failed announcement still wakes the relay.
    await deps.publisher.publish([{ detailType: detailTypes.usersStored, detail: announcement }]);

    const summary: StoreSummary = {
      batchId,
      received: detail.users.length,
      stored: stored.length,
      alreadyStored: prepared.users.length - stored.length,
      rejected: prepared.rejected.length,
      duplicates: prepared.duplicates,
    };
    deps.logger.info('batch stored', { ...summary, part: detail.part, parts: detail.parts });
    return summary;
  };
}

/** The dependencies the deployed function runs with, built from a config. */
export function depsFor(cfg: Config): StoreUsersDeps {
  return {
    logger: createLogger('store-users', { level: cfg.logLevel, stage: cfg.stage }),
    store: createUserStore(createPool(cfg)),
    publisher: eventPublisherFor(cfg),
  };
}
