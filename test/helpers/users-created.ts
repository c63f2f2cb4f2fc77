/**
 * Sample `users_created` values and outbox rows for the relay's and the sink's tests. The values come from
 * the contract's one builder (`userCreated` in functions/lib/users-created.ts); only the sample user and
 * batch are written here.
 */
import type { OutboxMessage } from '../../functions/lib/outbox.ts';
import type { User } from '../../functions/lib/schemas.ts';
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

/** A claimed outbox row carrying `payload` (by default the sample `UserCreated` for `id`). */
export function outboxMessage(
  id: string,
  payload: unknown = userCreated(sampleUser(id), sampleBatch),
): OutboxMessage {
  return { id, aggregateId: id, type: 'UserCreated', payload: JSON.stringify(payload), attempts: 0 };
}
