/**
 * Where store-users keeps users: `users_raw` plus the transactional outbox, written together.
 */
import type pg from 'pg';
import { postgresError } from './postgres.ts';

/** A batch to store; each user's payload and outbox message are JSON text. */
export interface UserBatch {
  batchId: string;
  fetchedAt: string;
  users: ReadonlyArray<{ id: string; payload: string; message: string }>;
}

/** Stores users with their outbox rows. */
export interface UserStore {
  /**
   * Inserts the users that are not stored yet, and one outbox row for each of those, in one transaction and
   * one statement. Users already stored are left as they are and get no outbox row, so a replayed batch
   * changes nothing. The ids in a batch must be unique.
   *
   * @returns the ids that were new
   * @throws a typed error from `postgresError`, retryable when the database is unavailable
   */
  insertWithOutbox(batch: UserBatch): Promise<string[]>;
}

// One round trip for the whole batch: UNNEST turns the arrays into rows. The outbox row's id is the user id,
// since a user has exactly one UserCreated message; its payload is the Kafka value.
const insertSql = `
WITH input AS (
  SELECT * FROM unnest($1::uuid[], $2::jsonb[], $3::jsonb[]) AS t(id, payload, message)
), inserted AS (
  INSERT INTO users_raw (id, payload, batch_id, fetched_at)
  SELECT id, payload, $4, $5::timestamptz FROM input
  ON CONFLICT (id) DO NOTHING
  RETURNING id
)
INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload)
SELECT inserted.id, 'user', inserted.id::text, 'UserCreated', input.message
FROM inserted JOIN input USING (id)
RETURNING id`;

/** Creates the {@link UserStore} over a pool. */
export function createUserStore(pool: pg.Pool): UserStore {
  return {
    async insertWithOutbox(batch) {
      if (batch.users.length === 0) return [];
      // One statement is one transaction on its own (both inserts commit or neither does): a BEGIN and COMMIT
      // around it would only add two round trips to every batch.
      try {
        const result = await pool.query<{ id: string }>(insertSql, [
          batch.users.map((u) => u.id),
          batch.users.map((u) => u.payload),
          batch.users.map((u) => u.message),
          batch.batchId,
          batch.fetchedAt,
        ]);
        return result.rows.map((row) => row.id);
      } catch (error) {
        throw postgresError(`store batch ${batch.batchId}`, error);
      }
    },
  };
}
