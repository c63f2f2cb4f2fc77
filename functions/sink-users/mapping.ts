/**
 * The mapping from a user to its `spark_streams.created_users` row. It is pure and total: the row is a
 * function of the user alone, so writing it again (a retry, a replay, a duplicate delivery) leaves the same
 * row. The Spark job's parity mode must produce the same rows.
 */
import type { User } from '../lib/schemas.ts';

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
 * Maps a user to its `created_users` row.
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
