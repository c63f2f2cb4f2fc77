/**
 * The `users_created` contract in one place: the record value (`userCreatedSchema`) and its one builder, the
 * headers the relay puts on each record, the `dlq.*` headers the sink adds to a dead letter and those a
 * re-drive adds, and the mapping of a value's user to its `created_users` row with the INSERT that writes it.
 * publish-users (the producer) and sink-users (the consumer) both import it, so the two sides of the topic
 * cannot drift.
 * Pure: schemas, names and total functions, no I/O.
 */
import { z } from 'zod';
import { cassandra } from '../../lib/topology.ts';
import { type User, userLimits, userSchema } from './schemas.ts';

/** The value of a `users_created` record, and the payload of its outbox row. Keyed by `id`. */
export const userCreatedSchema = z
  .object({
    schemaVersion: z.literal(1),
    type: z.literal('UserCreated'),
    id: z
      .uuid()
      .max(userLimits.text['login.uuid'])
      .describe('The user id: equal to user.login.uuid, and the record key.'),
    batchId: z.string().min(1),
    fetchedAt: z.iso.datetime(),
    user: userSchema,
  })
  .refine((value) => value.id === value.user.login.uuid, {
    message: 'id must equal user.login.uuid',
    path: ['id'],
  });
export type UserCreated = z.output<typeof userCreatedSchema>;

/**
 * The `users_created` message of a user, also the payload of its outbox row: the one place its fields are
 * written, for store-users, the benchmarks and the tests alike.
 *
 * @param user - a validated user (see `userSchema`); its `login.uuid` becomes the message id
 * @param batch - the `UsersFetched` batch the user came in, and when it was fetched (ISO)
 */
export function userCreated(user: User, batch: { batchId: string; fetchedAt: string }): UserCreated {
  return {
    schemaVersion: 1,
    type: 'UserCreated',
    id: user.login.uuid,
    batchId: batch.batchId,
    fetchedAt: batch.fetchedAt,
    user,
  };
}

/** The header names of a `users_created` record, set by publish-users. */
export const headerNames = {
  batchId: 'batch-id',
  fetchedAt: 'fetched-at',
  eventType: 'event-type',
  outboxId: 'outbox-id',
} as const;

/** Names of the headers a dead-letter record carries, besides the original record's own headers. */
export const deadLetterHeaders = {
  errorType: 'dlq.error.type',
  errorMessage: 'dlq.error.message',
  sourceTopic: 'dlq.source.topic',
  sourcePartition: 'dlq.source.partition',
  sourceOffset: 'dlq.source.offset',
  attempts: 'dlq.attempts',
  failedAt: 'dlq.failed.at',
} as const;

/**
 * Names of the headers a re-driven dead letter carries back on the source topic (the console's re-drive):
 * where it was dead-lettered (`topic-partition@offset`) and when it was re-driven. Not `dlq.*`, so they
 * survive the sink dead-lettering the record again, and the dead letter shows it was re-driven before.
 */
export const redriveHeaders = {
  from: 'redriven-from',
  at: 'redriven-at',
} as const;

/** A `created_users` row, with the table's column names. */
export interface CreatedUserRow {
  id: string;
  first_name: string;
  last_name: string;
  gender: string;
  /** `number street, city, state, country`, as the original tutorial built it. */
  address: string;
  /** Text, because randomuser sends numbers for some nationalities and strings for others. */
  post_code: string;
  email: string;
  username: string;
  dob: Date;
  registered_date: Date;
  phone: string;
  /** The medium-sized picture. */
  picture: string;
  nationality: string;
}

/** The columns of `created_users`, in the order {@link rowValues} returns them. */
export const createdUserColumns = [
  'id',
  'first_name',
  'last_name',
  'gender',
  'address',
  'post_code',
  'email',
  'username',
  'dob',
  'registered_date',
  'phone',
  'picture',
  'nationality',
] as const satisfies readonly (keyof CreatedUserRow)[];

/**
 * Maps a user to its `spark_streams.created_users` row. Pure and total: the row is a function of the user
 * alone, so writing it again (a retry, a replay, a duplicate delivery) leaves the same row. The Spark job's
 * parity mode must produce the same rows.
 *
 * @param user - a validated user (see `userSchema`)
 * @returns the row; `dob` and `registered_date` are the instants of randomuser's ISO dates
 */
export function toCreatedUserRow(user: User): CreatedUserRow {
  const { street, city, state, country, postcode } = user.location;
  return {
    id: user.login.uuid,
    first_name: user.name.first,
    last_name: user.name.last,
    gender: user.gender,
    address: `${street.number} ${street.name}, ${city}, ${state}, ${country}`,
    post_code: String(postcode),
    email: user.email,
    username: user.login.username,
    dob: new Date(user.dob.date),
    registered_date: new Date(user.registered.date),
    phone: user.phone,
    picture: user.picture.medium,
    nationality: user.nat,
  };
}

/** The row's values in {@link createdUserColumns} order, as a prepared INSERT binds them. */
export function rowValues(row: CreatedUserRow): CreatedUserRow[keyof CreatedUserRow][] {
  return createdUserColumns.map((column) => row[column]);
}

/** The prepared INSERT of one `created_users` row: what sink-users runs per row, and the raw benchmark too. */
export const insertUserCql = `INSERT INTO ${cassandra.table} (${createdUserColumns.join(', ')}) VALUES (${createdUserColumns
  .map(() => '?')
  .join(', ')})`;
