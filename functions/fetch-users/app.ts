/**
 * `fetch-users` (schedule): pulls users from randomuser.me, or its local stand-in, up to 5000 per request
 * and up to a configured total per run; validates each record, drops the login credentials, quarantines what
 * is invalid, and puts the rest on EventBridge as `UsersFetched` events.
 *
 * A page that still fails after its retries fails the run. Nothing is lost that way: the run's seed is
 * stable, so EventBridge's retry fetches the same users, and everything downstream ignores what it has.
 *
 * This module is the function's factory: `createHandler(deps)` and `depsFor(config)`. Importing it reads no
 * environment and builds no client; the entry point, handler.ts, wires it to the process's config.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { type EventPublisher, eventPublisherFor, putEventsLimits } from '../lib/eventbridge.ts';
import { createLogger } from '../lib/logger.ts';
import { createUserSource, type UserSource } from '../lib/randomuser.ts';
import { type RetryClock, systemClock, withRetry } from '../lib/retry.ts';
import { detailTypes } from '../lib/schemas.ts';
import type { Config } from '../lib/settings.ts';
import { parse } from '../lib/validate.ts';
import {
  acceptResults,
  type FetchSummary,
  fetchEventSchema,
  planPages,
  resolveRequest,
  toDetails,
} from './core.ts';

/** What the fetch-users handler needs. */
export interface FetchUsersDeps {
  config: Pick<Config, 'fetch'>;
  logger: Logger;
  source: UserSource;
  publisher: EventPublisher;
  clock: RetryClock;
  /** Entries stay a little under EventBridge's limit, which counts bytes slightly differently per SDK. */
  maxEntryBytes?: number;
}

/** Used when there is no Lambda context (tests, scripts): the most a run may spend on retries. */
const defaultBudgetMs = 5 * 60_000;
/** Retries stop this long before the function's own timeout, so the run fails with its real error. */
const timeoutMarginMs = 2_000;

/**
 * Builds the fetch-users handler from its dependencies.
 *
 * @returns a handler for a scheduled event (or a sample event with `seed`, `total`, `pageSize`,
 *   `firstPage`, `nat`) that resolves to the run's {@link FetchSummary}
 * @throws {@link ValidationError} for an event it cannot read, or when randomuser breaks its contract
 * @throws a retryable error when a page still fails after its retries, or events cannot be put
 */
export function createHandler(deps: FetchUsersDeps) {
  const maxEntryBytes = deps.maxEntryBytes ?? putEventsLimits.maxBytes - 2 * 1024;
  return async (
    event: unknown,
    context?: Pick<Context, 'getRemainingTimeInMillis'>,
  ): Promise<FetchSummary> => {
    const started = deps.clock.now();
    const deadline =
      started + (context ? context.getRemainingTimeInMillis() - timeoutMarginMs : defaultBudgetMs);
    const request = resolveRequest(
      parse(fetchEventSchema, event ?? {}, 'fetch-users event'),
      deps.config.fetch,
      new Date(started),
    );
    const summary: FetchSummary = {
      seed: request.seed,
      pages: 0,
      requested: request.total,
      received: 0,
      published: 0,
      quarantined: 0,
      duplicates: 0,
      events: 0,
      putEventsCalls: 0,
    };
    const seen = new Set<string>();
    const policy = { maxAttempts: deps.config.fetch.maxAttempts, baseDelayMs: 250, maxDelayMs: 10_000 };

    for (const { page, results } of planPages(request)) {
      const where = `randomuser page ${page}`;
      const fetched = await withRetry(
        `GET ${where}`,
        () => deps.source.fetchPage({ results, seed: request.seed, page, nat: request.nat }),
        {
          policy,
          clock: deps.clock,
          deadline,
          onRetry: ({ error, attempt, delayMs }) =>
            deps.logger.warn('retrying randomuser', { page, attempt, delayMs, error: describe(error) }),
        },
      );
      const fetchedAt = new Date(deps.clock.now());
      const accepted = acceptResults(fetched.results, where, seen);
      const { details, oversized } = toDetails(
        { seed: request.seed, page, fetchedAt },
        accepted.users,
        maxEntryBytes,
      );
      for (const q of accepted.quarantined) {
        deps.logger.warn('quarantined a randomuser record', {
          page,
          index: q.index,
          userId: q.userId,
          code: q.code,
          reason: q.reason,
        });
      }
      for (const user of oversized) {
        deps.logger.warn('quarantined a randomuser record', {
          page,
          userId: user.login.uuid,
          code: 'EVENT_ENTRY_TOO_LARGE',
          reason: `the user alone is over the ${maxEntryBytes}-byte event entry limit`,
        });
      }
      const { calls } = await deps.publisher.publish(
        details.map((detail) => ({ detailType: detailTypes.usersFetched, detail })),
      );

      const published = accepted.users.length - oversized.length;
      const quarantined = accepted.quarantined.length + oversized.length;
      summary.pages++;
      summary.received += fetched.results.length;
      summary.published += published;
      summary.quarantined += quarantined;
      summary.duplicates += accepted.duplicates;
      summary.events += details.length;
      summary.putEventsCalls += calls;
      deps.logger.info('page published', {
        batchId: details[0]?.batchId,
        page,
        received: fetched.results.length,
        published,
        quarantined,
        bytes: fetched.bytes,
        events: details.length,
      });
    }
    deps.logger.info('run complete', { ...summary, durationMs: deps.clock.now() - started });
    return summary;
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * The dependencies the deployed function runs with, built from a config: the randomuser client, the
 * EventBridge publisher, a logger at the config's level and the real clock.
 */
export function depsFor(cfg: Config): FetchUsersDeps {
  return {
    config: cfg,
    logger: createLogger('fetch-users', { level: cfg.logLevel, stage: cfg.stage }),
    source: createUserSource({
      url: cfg.fetch.url,
      timeoutMs: cfg.fetch.timeoutMs,
      maxResponseBytes: cfg.fetch.maxResponseBytes,
    }),
    publisher: eventPublisherFor(cfg),
    clock: systemClock,
  };
}
