/**
 * Sample `users_created` values and outbox rows for the relay's and the sink's tests. The values come from
 * the contract's one builder (`userCreated` in functions/lib/users-created.ts); only the sample user and
 * batch are written here.
 */
import type { OutboxMessage } from '../../functions/lib/outbox.ts';
import { type User, userLimits } from '../../functions/lib/schemas.ts';
import { userCreated } from '../../functions/lib/users-created.ts';

/** The batch id and fetch time of the sample values. */
export const sampleBatch = { batchId: 'seed:1', fetchedAt: '2026-01-01T00:00:00.000Z' };

/**
 * A valid user (as the pipeline keeps it, without credentials) whose `login.uuid` is `id`.
 *
 * @param options.pad - extra characters in the street name, to grow the payload
 */
export function sampleUser(id: string, options: { pad?: number } = {}): User {
  return {
    gender: 'female',
    name: { title: 'Ms', first: 'Zoé', last: 'Martin' },
    location: {
      street: { number: 12, name: `Rue de la Paix${'x'.repeat(options.pad ?? 0)}` },
      city: 'Paris',
      state: 'Île-de-France',
      country: 'France',
      postcode: 75002,
      coordinates: { latitude: '48.8686', longitude: '2.3314' },
      timezone: { offset: '+1:00', description: 'Brussels, Copenhagen, Madrid, Paris' },
    },
    email: 'zoe.martin@example.com',
    dob: { date: '1990-05-04T10:00:00.000Z', age: 35 },
    registered: { date: '2015-03-02T09:00:00.000Z', age: 10 },
    phone: '01-23-45-67-89',
    cell: '06-12-34-56-78',
    id: { name: 'INSEE', value: '2900575002001 12' },
    picture: {
      large: 'https://randomuser.me/api/portraits/women/1.jpg',
      medium: 'https://randomuser.me/api/portraits/med/women/1.jpg',
      thumbnail: 'https://randomuser.me/api/portraits/thumb/women/1.jpg',
    },
    nat: 'FR',
    login: { uuid: id, username: 'zoemartin' },
  };
}

/**
 * A valid user with every field at its limit ({@link userLimits}): each free-text field `fill` repeated to
 * its most characters, the numbers at their maxima, and the formatted fields (uuid, dates, coordinates,
 * nat) as long as their formats allow. The largest a user can be, for the size tests.
 *
 * @param fill - one character; the default, U+0001, takes the most bytes of any in JSON (`\u0001`, six)
 */
export function largestUser(id: string, fill = '\u0001'): User {
  const text = userLimits.text;
  const range = userLimits.range;
  const at = (field: keyof typeof text) => fill.repeat(text[field]);
  // As many fraction digits as the limit leaves room for: `…:00.000000…0Z`.
  const instant = (day: string, field: 'dob.date' | 'registered.date') =>
    `${day}T10:00:00.`.padEnd(text[field] - 1, '0').concat('Z');
  const coordinate = (
    whole: string,
    field: 'location.coordinates.latitude' | 'location.coordinates.longitude',
  ) => `${whole}.`.padEnd(text[field], '9');
  return {
    gender: 'female',
    name: { title: at('name.title'), first: at('name.first'), last: at('name.last') },
    location: {
      street: { number: range['location.street.number'].max, name: at('location.street.name') },
      city: at('location.city'),
      state: at('location.state'),
      country: at('location.country'),
      postcode: at('location.postcode'),
      coordinates: {
        latitude: coordinate('-89', 'location.coordinates.latitude'),
        longitude: coordinate('-179', 'location.coordinates.longitude'),
      },
      timezone: {
        offset: at('location.timezone.offset'),
        description: at('location.timezone.description'),
      },
    },
    email: at('email'),
    dob: { date: instant('1990-05-04', 'dob.date'), age: range['dob.age'].max },
    registered: { date: instant('2015-03-02', 'registered.date'), age: range['registered.age'].max },
    phone: at('phone'),
    cell: at('cell'),
    id: { name: at('id.name'), value: at('id.value') },
    picture: { large: at('picture.large'), medium: at('picture.medium'), thumbnail: at('picture.thumbnail') },
    nat: 'FR',
    login: { uuid: id, username: at('login.username') },
  };
}

/** A claimed outbox row carrying `payload` (by default the sample `UserCreated` for `id`). */
export function outboxMessage(
  id: string,
  payload: unknown = userCreated(sampleUser(id), sampleBatch),
): OutboxMessage {
  return { id, aggregateId: id, type: 'UserCreated', payload: JSON.stringify(payload), attempts: 0 };
}
