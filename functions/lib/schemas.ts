/**
 * The pipeline's data contracts as zod schemas: a randomuser.me user as received and as the pipeline keeps
 * it (without credentials), and the EventBridge details `UsersFetched` and `UsersStored`. The Kafka value of
 * `users_created` has a module of its own (users-created.ts). Types are inferred from these schemas, and the
 * JSON Schemas under events/schemas/ are generated from them (published-schemas.ts, `npm run schemas`), so
 * code, tests and docs cannot drift apart.
 */
import { z } from 'zod';
import { events } from '../../lib/topology.ts';

/** The credential fields of randomuser's `login`; they are dropped at the fetch boundary and never stored. */
export const credentialFields = ['password', 'salt', 'md5', 'sha1', 'sha256'] as const;

const text = z.string();
const nonEmpty = z.string().min(1);
const dated = z.object({ date: z.iso.datetime(), age: z.number().int().min(0) });

/**
 * The fields of a randomuser user that the pipeline keeps. Every object is parsed with zod's default
 * "strip" mode, so unknown keys, including a JSON `__proto__` key, never reach the output.
 */
const userFields = {
  gender: z.enum(['male', 'female']),
  name: z.object({ title: text, first: nonEmpty, last: nonEmpty }),
  location: z.object({
    street: z.object({ number: z.number().int(), name: text }),
    city: text,
    state: text,
    country: text,
    // A number for some nationalities, a string for others (randomuser's own data).
    postcode: z.union([z.string(), z.number().int()]),
    coordinates: z.object({ latitude: text, longitude: text }),
    timezone: z.object({ offset: text, description: text }),
  }),
  email: nonEmpty,
  dob: dated,
  registered: dated,
  phone: text,
  cell: text,
  id: z.object({ name: text, value: z.string().nullable() }),
  picture: z.object({ large: text, medium: text, thumbnail: text }),
  nat: z.string().regex(/^[A-Z]{2}$/, 'expected a two-letter nationality code'),
};

/**
 * A user as the pipeline keeps it: randomuser's record with `login` reduced to `uuid` and `username`.
 * Parsing a raw record with this schema is what drops the credentials.
 */
export const userSchema = z.object({
  ...userFields,
  login: z.object({ uuid: z.uuid(), username: nonEmpty }),
});
export type User = z.output<typeof userSchema>;

/** The `info` block of a randomuser response. */
export const randomUserInfoSchema = z.object({
  seed: z.string(),
  results: z.number().int(),
  page: z.number().int(),
  version: z.string(),
});

/**
 * The envelope of a randomuser response. Each entry of `results` is validated on its own, so one bad record
 * is quarantined instead of failing its page.
 */
export const randomUserResponseSchema = z.object({
  results: z.array(z.unknown()),
  info: randomUserInfoSchema.optional(),
});

/** The error body randomuser sends with 429 and some 5xx responses. */
export const randomUserErrorSchema = z.object({ error: z.string() });

/** EventBridge `source` of every event the pipeline emits. */
export const eventSource = events.source;

/** The detail of `UsersFetched`: one chunk of one fetched page, small enough for a 256 KB entry. */
export const usersFetchedSchema = z.object({
  schemaVersion: z.literal(1),
  /** `<seed>:<page>`: stable, so a retried fetch of the same page keeps its id. */
  batchId: nonEmpty,
  seed: text,
  page: z.number().int().min(1),
  /** Which chunk of the page this is (0-based), and how many there are. */
  part: z.number().int().min(0),
  parts: z.number().int().min(1),
  fetchedAt: z.iso.datetime(),
  users: z.array(userSchema),
});
export type UsersFetched = z.output<typeof usersFetchedSchema>;

/**
 * `UsersFetched` as store-users reads it: the envelope is checked strictly, but each user separately, so a
 * user that fails validation is rejected without its neighbours.
 */
export const usersFetchedEnvelopeSchema = usersFetchedSchema.extend({ users: z.array(z.unknown()) });

/** The detail of `UsersStored`: how many users of a batch were new. */
export const usersStoredSchema = z.object({
  schemaVersion: z.literal(1),
  batchId: nonEmpty,
  count: z.number().int().min(0),
});
export type UsersStored = z.output<typeof usersStoredSchema>;

/** The detail types the pipeline puts on EventBridge. */
export const detailTypes = { usersFetched: events.usersFetched, usersStored: events.usersStored } as const;
