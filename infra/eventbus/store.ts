/**
 * The durable side of the local EventBridge: its tables in PostgreSQL, in a schema of their own
 * (`local_eventbridge`) in the run's database, and every statement the bus, the CLI and the `npm start`
 * summary run against them. The bus creates the schema itself when it starts (idempotent DDL under an advisory
 * lock), not through infra/migrations, whose files are also applied to RDS on AWS, where EventBridge is AWS's.
 *
 * - `events`: every entry `PutEvents` accepted, as its targets receive it. Delivered events are pruned after a
 *   while; the journal is for looking, not for delivery.
 * - `deliveries`: one row per (event, matching rule target) still to be delivered. A worker claims a due row
 *   with `FOR UPDATE SKIP LOCKED` and holds the lock while it invokes the target, so a crash releases it at once
 *   and the next start delivers it again (at least once).
 * - `dead_letters`: deliveries whose retries ran out, with AWS's dead-letter attributes and the full event.
 */
import type pg from 'pg';
import type { DeadLetterAttributes, ExhaustedCondition } from './delivery.ts';
import type { BusEvent } from './protocol.ts';

/** The bus's schema in the run's database. */
export const busSchema = 'local_eventbridge';

/** Something that runs queries: a pool, or a client inside a transaction. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

const ddl = `
CREATE SCHEMA IF NOT EXISTS ${busSchema};
CREATE TABLE IF NOT EXISTS ${busSchema}.events (
  id uuid PRIMARY KEY,
  bus text NOT NULL,
  event json NOT NULL,
  accepted_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS ${busSchema}.deliveries (
  id bigserial PRIMARY KEY,
  event_id uuid NOT NULL REFERENCES ${busSchema}.events (id),
  rule_arn text NOT NULL,
  target_arn text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  pending_since timestamptz NOT NULL,
  due_at timestamptz NOT NULL,
  last_error_code text,
  last_error_message text
);
CREATE INDEX IF NOT EXISTS deliveries_due_at ON ${busSchema}.deliveries (due_at);
CREATE INDEX IF NOT EXISTS deliveries_event_id ON ${busSchema}.deliveries (event_id);
CREATE TABLE IF NOT EXISTS ${busSchema}.dead_letters (
  id bigserial PRIMARY KEY,
  event_id uuid NOT NULL,
  bus text NOT NULL,
  rule_arn text NOT NULL,
  target_arn text NOT NULL,
  error_code text NOT NULL,
  error_message text NOT NULL,
  exhausted_retry_condition text,
  retry_attempts integer NOT NULL,
  event json NOT NULL,
  dead_at timestamptz NOT NULL
);`;

/** Creates the bus's schema and tables when they are missing; safe when several processes start at once. */
export async function ensureSchema(pool: pg.Pool): Promise<void> {
  await transaction(pool, async (client) => {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('${busSchema}'))`);
    await client.query(ddl);
  });
}

/** An accepted event and the rule targets it is to be delivered to. */
export interface AcceptedEvent {
  bus: string;
  event: BusEvent;
  targets: ReadonlyArray<{ ruleArn: string; targetArn: string }>;
}

/** Records accepted events and their pending deliveries in one transaction: all of them, or none. */
export async function acceptEvents(
  pool: pg.Pool,
  accepted: readonly AcceptedEvent[],
  now: Date,
): Promise<void> {
  if (accepted.length === 0) return;
  const deliveries = accepted.flatMap((a) => a.targets.map((t) => ({ eventId: a.event.id, ...t })));
  await transaction(pool, async (client) => {
    await client.query(
      `INSERT INTO ${busSchema}.events (id, bus, event, accepted_at)
       SELECT id, bus, event, $4 FROM unnest($1::uuid[], $2::text[], $3::json[]) AS e (id, bus, event)`,
      [
        accepted.map((a) => a.event.id),
        accepted.map((a) => a.bus),
        accepted.map((a) => JSON.stringify(a.event)),
        now,
      ],
    );
    if (deliveries.length === 0) return;
    await client.query(
      `INSERT INTO ${busSchema}.deliveries (event_id, rule_arn, target_arn, pending_since, due_at)
       SELECT event_id, rule_arn, target_arn, $4, $4
         FROM unnest($1::uuid[], $2::text[], $3::text[]) AS d (event_id, rule_arn, target_arn)`,
      [
        deliveries.map((d) => d.eventId),
        deliveries.map((d) => d.ruleArn),
        deliveries.map((d) => d.targetArn),
        now,
      ],
    );
  });
}

/** A delivery a worker holds, locked, while it invokes the target. */
export interface ClaimedDelivery {
  id: string;
  eventId: string;
  bus: string;
  ruleArn: string;
  targetArn: string;
  /** Attempts made before this one. */
  attempts: number;
  pendingSince: Date;
  event: BusEvent;
}

interface DeliveryRow {
  id: string;
  event_id: string;
  bus: string;
  rule_arn: string;
  target_arn: string;
  attempts: number;
  pending_since: Date;
  event: BusEvent;
}

/**
 * Claims the delivery that has been due longest and that no other worker holds, inside `client`'s open
 * transaction; undefined when none is due.
 */
export async function claimDue(client: Queryable, now: Date): Promise<ClaimedDelivery | undefined> {
  const { rows } = await client.query<DeliveryRow>(
    `SELECT d.id, d.event_id, e.bus, d.rule_arn, d.target_arn, d.attempts, d.pending_since, e.event
       FROM ${busSchema}.deliveries d JOIN ${busSchema}.events e ON e.id = d.event_id
      WHERE d.due_at <= $1
      ORDER BY d.due_at
      LIMIT 1
      FOR UPDATE OF d SKIP LOCKED`,
    [now],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    id: row.id,
    eventId: row.event_id,
    bus: row.bus,
    ruleArn: row.rule_arn,
    targetArn: row.target_arn,
    attempts: row.attempts,
    pendingSince: row.pending_since,
    event: row.event,
  };
}

/** The delivery succeeded: it is no longer pending. */
export async function markDelivered(client: Queryable, delivery: Pick<ClaimedDelivery, 'id'>): Promise<void> {
  await client.query(`DELETE FROM ${busSchema}.deliveries WHERE id = $1`, [delivery.id]);
}

/** The attempt failed and another is due at `dueAt`. */
export async function scheduleRetry(
  client: Queryable,
  delivery: Pick<ClaimedDelivery, 'id'>,
  retry: { attempts: number; dueAt: Date; errorCode: string; errorMessage: string },
): Promise<void> {
  await client.query(
    `UPDATE ${busSchema}.deliveries
        SET attempts = $2, due_at = $3, last_error_code = $4, last_error_message = $5
      WHERE id = $1`,
    [delivery.id, retry.attempts, retry.dueAt, retry.errorCode, retry.errorMessage],
  );
}

/** The delivery's retries ran out: it moves to the dead letters, with its attributes and the event. */
export async function moveToDeadLetters(
  client: Queryable,
  delivery: Pick<ClaimedDelivery, 'id' | 'eventId' | 'bus' | 'event'>,
  attributes: DeadLetterAttributes,
  now: Date,
): Promise<void> {
  await client.query(
    `INSERT INTO ${busSchema}.dead_letters
       (event_id, bus, rule_arn, target_arn, error_code, error_message, exhausted_retry_condition, retry_attempts,
        event, dead_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      delivery.eventId,
      delivery.bus,
      attributes.RULE_ARN,
      attributes.TARGET_ARN,
      attributes.ERROR_CODE,
      attributes.ERROR_MESSAGE,
      attributes.EXHAUSTED_RETRY_CONDITION ?? null,
      Number(attributes.RETRY_ATTEMPTS),
      JSON.stringify(delivery.event),
      now,
    ],
  );
  await client.query(`DELETE FROM ${busSchema}.deliveries WHERE id = $1`, [delivery.id]);
}

/** Forgets delivered events accepted before `before`; returns how many. */
export async function pruneDelivered(pool: Queryable, before: Date): Promise<number> {
  const { rowCount } = await pool.query(
    `DELETE FROM ${busSchema}.events e
      WHERE e.accepted_at < $1
        AND NOT EXISTS (SELECT 1 FROM ${busSchema}.deliveries d WHERE d.event_id = e.id)`,
    [before],
  );
  return rowCount ?? 0;
}

/** How much the bus holds: deliveries still pending, and dead letters. */
export interface BusCounts {
  pending: number;
  deadLettered: number;
}

/**
 * The bus's counts, for the `npm start` summary and the CLI.
 *
 * @throws when the bus has not created its tables in this database yet (SQLSTATE 42P01)
 */
export async function busCounts(db: Queryable): Promise<BusCounts> {
  const { rows } = await db.query<{ pending: string; dead: string }>(
    `SELECT (SELECT count(*) FROM ${busSchema}.deliveries) AS pending,
            (SELECT count(*) FROM ${busSchema}.dead_letters) AS dead`,
  );
  return { pending: Number(rows[0]?.pending ?? 0), deadLettered: Number(rows[0]?.dead ?? 0) };
}

/** A pending delivery, for the CLI. */
export interface PendingRow {
  id: string;
  eventId: string;
  detailType: string;
  ruleArn: string;
  attempts: number;
  dueAt: Date;
  lastError: string | null;
}

/** The pending deliveries, soonest due first, at most `limit`. */
export async function listPending(db: Queryable, limit: number): Promise<PendingRow[]> {
  const { rows } = await db.query<{
    id: string;
    event_id: string;
    detail_type: string;
    rule_arn: string;
    attempts: number;
    due_at: Date;
    last_error: string | null;
  }>(
    `SELECT d.id, d.event_id, e.event->>'detail-type' AS detail_type, d.rule_arn, d.attempts, d.due_at,
            d.last_error_code || ' ' || d.last_error_message AS last_error
       FROM ${busSchema}.deliveries d JOIN ${busSchema}.events e ON e.id = d.event_id
      ORDER BY d.due_at
      LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    id: r.id,
    eventId: r.event_id,
    detailType: r.detail_type,
    ruleArn: r.rule_arn,
    attempts: r.attempts,
    dueAt: r.due_at,
    lastError: r.last_error,
  }));
}

/** A dead letter: AWS's attributes, the event, and when it was dead-lettered. */
export interface DeadLetter {
  id: string;
  eventId: string;
  attributes: DeadLetterAttributes;
  event: BusEvent;
  deadAt: Date;
}

interface DeadLetterRow {
  id: string;
  event_id: string;
  rule_arn: string;
  target_arn: string;
  error_code: DeadLetterAttributes['ERROR_CODE'];
  error_message: string;
  exhausted_retry_condition: ExhaustedCondition | null;
  retry_attempts: number;
  event: BusEvent;
  dead_at: Date;
}

/** Every dead letter, oldest first. */
export async function listDeadLetters(db: Queryable): Promise<DeadLetter[]> {
  const { rows } = await db.query<DeadLetterRow>(`SELECT * FROM ${busSchema}.dead_letters ORDER BY id`);
  return rows.map(deadLetterOf);
}

/**
 * Moves dead letters back to pending, for the same rule target, due now: the named ones, or all when `ids`
 * is undefined. One transaction; a running bus picks them up at its next poll. The retry policy starts over
 * (attempts, and the age counted from now).
 *
 * @returns the dead letters that were moved
 */
export async function redrive(
  pool: pg.Pool,
  ids: readonly string[] | undefined,
  now: Date,
): Promise<DeadLetter[]> {
  return transaction(pool, async (client) => {
    const { rows } = await client.query<DeadLetterRow & { bus: string }>(
      `DELETE FROM ${busSchema}.dead_letters WHERE $1::bigint[] IS NULL OR id = ANY($1::bigint[]) RETURNING *`,
      [ids === undefined ? null : [...ids]],
    );
    if (rows.length === 0) return [];
    // The journal may have pruned the event; the dead letter's copy puts it back. DO UPDATE (not NOTHING)
    // locks the row, so a prune running at the same time cannot take it away before the deliveries refer to it.
    await client.query(
      `INSERT INTO ${busSchema}.events (id, bus, event, accepted_at)
       SELECT DISTINCT ON (id) id, bus, event, $4 FROM unnest($1::uuid[], $2::text[], $3::json[]) AS e (id, bus, event)
       ON CONFLICT (id) DO UPDATE SET bus = EXCLUDED.bus`,
      [rows.map((r) => r.event_id), rows.map((r) => r.bus), rows.map((r) => JSON.stringify(r.event)), now],
    );
    await client.query(
      `INSERT INTO ${busSchema}.deliveries (event_id, rule_arn, target_arn, pending_since, due_at)
       SELECT event_id, rule_arn, target_arn, $4, $4
         FROM unnest($1::uuid[], $2::text[], $3::text[]) AS d (event_id, rule_arn, target_arn)`,
      [rows.map((r) => r.event_id), rows.map((r) => r.rule_arn), rows.map((r) => r.target_arn), now],
    );
    return rows.map(deadLetterOf);
  });
}

function deadLetterOf(row: DeadLetterRow): DeadLetter {
  return {
    id: row.id,
    eventId: row.event_id,
    attributes: {
      RULE_ARN: row.rule_arn,
      TARGET_ARN: row.target_arn,
      ERROR_CODE: row.error_code,
      ERROR_MESSAGE: row.error_message,
      ...(row.exhausted_retry_condition ? { EXHAUSTED_RETRY_CONDITION: row.exhausted_retry_condition } : {}),
      RETRY_ATTEMPTS: String(row.retry_attempts),
    },
    event: row.event,
    deadAt: row.dead_at,
  };
}

/** Runs `work` in a transaction on a client of its own; rolls back when it throws. */
export async function transaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // A client whose rollback fails has lost its connection: the pool must not hand it out again.
    await client.query('ROLLBACK').catch((rollback: unknown) => {
      broken = rollback instanceof Error ? rollback : new Error(String(rollback));
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
