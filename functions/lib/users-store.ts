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

/**
 * The rows of a batch, from three parameters: `$1` the ids (`uuid[]`), `$2` the payloads and `$3` the messages,
 * each a JSON array of the texts in the same order ({@link batchInputParams}), zipped by `ROWS FROM`.
 *
 * A JSON array rather than `jsonb[]`: as an array literal, pg escapes every quote of every payload and the
 * server unescapes them again, which took a quarter of the store's CPU per user, client and server together
 * (bench/results/optimizations.md). A text that is not exactly one JSON value shifts the zip, and the row
 * left without a payload or message breaks a NOT NULL constraint, so the statement fails whole.
 */
export const batchInputSql =
  'SELECT * FROM ROWS FROM (unnest($1::uuid[]), jsonb_array_elements($2::jsonb), jsonb_array_elements($3::jsonb)) AS t(id, payload, message)';

/**
 * The three parameters of {@link batchInputSql} for users whose payload and message are each one JSON value:
 * the texts are joined into their arrays as they are, never parsed or escaped.
 */
export function batchInputParams(users: UserBatch['users']): [string[], string, string] {
  const jsonArray = (texts: string[]) => `[${texts.join(',')}]`;
  return [
    users.map((u) => u.id),
    jsonArray(users.map((u) => u.payload)),
    jsonArray(users.map((u) => u.message)),
  ];
}

// One round trip for the whole batch. The outbox row's id is the user id, since a user has exactly one
// UserCreated message; its payload is the Kafka value.
const insertSql = `
WITH input AS (${batchInputSql}), inserted AS (
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
          ...batchInputParams(batch.users),
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
