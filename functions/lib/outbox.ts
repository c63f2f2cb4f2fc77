/**
 * The pipeline's view of the transactional outbox that store-users fills: the relay claims a batch of
 * unpublished rows, hands them to a publish step, and marks them published or dead in the same transaction.
 *
 * The claimed rows stay locked (`FOR UPDATE SKIP LOCKED`) while Kafka acknowledges them, so relays running at
 * once never claim the same row, and a crash before COMMIT leaves the rows unpublished for the next run:
 * delivery is at-least-once, and the sink is idempotent.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type pg from 'pg';
import { z } from 'zod';
import { errorText, PipelineError } from '../../lib/errors.ts';
import { inTransaction, postgresError } from './postgres.ts';
import { parse } from './validate.ts';

/** One claimed outbox row, as the relay needs it. */
export interface OutboxMessage {
  /** The row's id; for `UserCreated`, the user id. */
  id: string;
  /** The id of the aggregate the event is about: the Kafka key. */
  aggregateId: string;
  /** The event type, e.g. `UserCreated`. */
  type: string;
  /** The payload as PostgreSQL's canonical jsonb text: the Kafka value. */
  payload: string;
  /** How many times a relay tried this row before. */
  attempts: number;
}

/** A row that can never be published, and why. */
export interface DeadMessage {
  id: string;
  error: string;
}

/** What the publish step did with a claimed batch: every row is either published or dead, exactly once. */
export interface BatchVerdict {
  published: readonly string[];
  dead: readonly DeadMessage[];
}

/** What {@link Outbox.relayBatch} did. */
export interface BatchOutcome {
  /** Rows claimed; fewer than the limit means the outbox had no more unclaimed rows. */
  claimed: number;
  published: number;
  dead: number;
}

/** The outbox, as the relay uses it. */
export interface Outbox {
  /**
   * Claims up to `limit` of the oldest unpublished, live rows that no other relay holds, calls `publish`
   * with them while they stay locked, then marks the rows of the verdict published or dead and commits.
   * With no rows to claim, `publish` is not called.
   *
   * When `publish` throws, the transaction rolls back (nothing is marked), the rows' `attempts` and
   * `last_error` are recorded in a separate short statement, and the error is rethrown as is.
   *
   * @throws the error of `publish`; a {@link PipelineError} from PostgreSQL (retryable when the database is
   *   unavailable); a non-retryable {@link PipelineError} when the verdict does not account for every row
   */
  relayBatch(
    limit: number,
    publish: (messages: readonly OutboxMessage[]) => Promise<BatchVerdict>,
  ): Promise<BatchOutcome>;
}

/** Options of {@link createOutbox}. */
export interface OutboxOptions {
  /** Where to report a failure of the advisory bookkeeping after a failed publish. */
  logger?: Pick<Logger, 'warn'>;
}

const claimSql = `
  SELECT id::text AS id, aggregateid, type, payload::text AS payload, attempts
    FROM outbox
   WHERE published_at IS NULL AND dead_at IS NULL
   ORDER BY created_at, id
   LIMIT $1
     FOR UPDATE SKIP LOCKED`;

// The claim must walk outbox_unpublished_idx in order and stop after `limit` rows. An outbox fills and
// drains faster than autovacuum's statistics follow, and with stale statistics the planner guessed a few dozen
// unpublished rows, chose a bitmap scan of all of them plus a sort, and a claim took 2.4 s with 90,000 rows
// waiting (measured by the benchmark). These settings last until the transaction ends; they travel with its
// BEGIN, one round trip instead of two for every batch.
export const beginClaimSql = 'BEGIN; SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off';

const markPublishedSql = `
  UPDATE outbox SET published_at = now(), attempts = attempts + 1
   WHERE id = ANY($1::uuid[])`;

const markDeadSql = `
  UPDATE outbox AS o SET dead_at = now(), last_error = d.error, attempts = o.attempts + 1
    FROM unnest($1::uuid[], $2::text[]) AS d(id, error)
   WHERE o.id = d.id`;

// Runs after the claim rolled back. SKIP LOCKED: a row another relay claimed meanwhile is its business now, and
// this statement must never wait for that relay's Kafka round trip.
const noteFailureSql = `
  UPDATE outbox SET attempts = attempts + 1, last_error = $2
   WHERE id IN (SELECT id FROM outbox
                 WHERE id = ANY($1::uuid[]) AND published_at IS NULL AND dead_at IS NULL
                   FOR UPDATE SKIP LOCKED)`;

const claimedRowSchema = z.object({
  id: z.string(),
  aggregateid: z.string(),
  type: z.string(),
  payload: z.string(),
  attempts: z.number().int(),
});

// last_error is for operators; a kilobyte says what went wrong without storing, say, a whole broker dump.
const maxErrorLength = 1024;

/**
 * Creates the {@link Outbox} over a pool, e.g. from `createPool`.
 *
 * @param pool - the PostgreSQL pool; the caller owns it and ends it
 * @param options - an optional logger for bookkeeping failures
 */
export function createOutbox(pool: pg.Pool, options: OutboxOptions = {}): Outbox {
  return {
    async relayBatch(limit, publish) {
      let claimedIds: string[] = [];
      let publishError: { error: unknown } | undefined;
      try {
        return await inTransaction(
          pool,
          'relay outbox batch',
          async (client) => {
            const claimed = await client.query(claimSql, [limit]);
            const messages = claimed.rows.map((row, i) =>
              toMessage(parse(claimedRowSchema, row, `outbox row ${i}`)),
            );
            claimedIds = messages.map((m) => m.id);
            if (messages.length === 0) return { claimed: 0, published: 0, dead: 0 };

            let verdict: BatchVerdict;
            try {
              verdict = await publish(messages);
            } catch (error) {
              publishError = { error };
              throw error;
            }
            assertComplete(claimedIds, verdict);

            if (verdict.published.length > 0) await client.query(markPublishedSql, [verdict.published]);
            if (verdict.dead.length > 0) {
              await client.query(markDeadSql, [
                verdict.dead.map((d) => d.id),
                verdict.dead.map((d) => truncate(d.error)),
              ]);
            }
            return {
              claimed: messages.length,
              published: verdict.published.length,
              dead: verdict.dead.length,
            };
          },
          beginClaimSql,
        );
      } catch (error) {
        if (publishError !== undefined && claimedIds.length > 0) {
          await noteFailure(pool, claimedIds, publishError.error, options.logger);
        }
        throw error;
      }
    },
  };
}

function toMessage(row: z.output<typeof claimedRowSchema>): OutboxMessage {
  return {
    id: row.id,
    aggregateId: row.aggregateid,
    type: row.type,
    payload: row.payload,
    attempts: row.attempts,
  };
}

/** A verdict that drops or repeats a row would leave it claimed forever or mark it twice: refuse it. */
function assertComplete(claimedIds: readonly string[], verdict: BatchVerdict): void {
  const expected = new Set(claimedIds);
  const seen = new Set<string>();
  for (const id of [...verdict.published, ...verdict.dead.map((d) => d.id)]) {
    if (!expected.has(id) || seen.has(id)) {
      throw new PipelineError(`outbox verdict names row ${id} that was not claimed or names it twice`, {
        code: 'OUTBOX_VERDICT_INVALID',
        retryable: false,
      });
    }
    seen.add(id);
  }
  if (seen.size !== expected.size) {
    throw new PipelineError(`outbox verdict covers ${seen.size} of ${expected.size} claimed rows`, {
      code: 'OUTBOX_VERDICT_INVALID',
      retryable: false,
    });
  }
}

/**
 * Records a failed attempt on rows whose claim rolled back, so operators see rows that keep failing.
 * Advisory: when it fails too (the database is likely down), it is logged and the caller rethrows the
 * original failure, which is the one that matters.
 */
async function noteFailure(
  pool: pg.Pool,
  ids: readonly string[],
  error: unknown,
  logger: OutboxOptions['logger'],
): Promise<void> {
  const message = truncate(errorText(error));
  try {
    await pool.query(noteFailureSql, [ids, message]);
  } catch (bookkeeping) {
    const wrapped = postgresError('record failed outbox attempt', bookkeeping);
    logger?.warn('cannot record failed outbox attempt', { rows: ids.length, error: wrapped.message });
  }
}

function truncate(text: string): string {
  return text.length <= maxErrorLength ? text : `${text.slice(0, maxErrorLength - 1)}…`;
}
