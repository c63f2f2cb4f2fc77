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

/**
 * The bounds of a user: the one table of them, which the schema below applies, the JSON Schemas publish
 * (`maxLength`, `minimum`, `maximum`, `pattern`) and docs/design.md points to. Without them a hostile source
 * could send a 200,000-character first name and have it stored as sent in PostgreSQL, Kafka and Cassandra.
 *
 * Each limit leaves ample room over the real generator's data (the 100 users of all 21 nationalities in
 * test/fixtures/randomuser, and 100,000 users of the local stand-in): at least four times the longest seen,
 * names and places eight times or more, for scripts and compound names that run long. A user with every
 * field at its limit is a few tens of kilobytes of JSON, so it always fits an EventBridge entry and a Kafka
 * record.
 */
export const userLimits = {
  /**
   * The most characters of each string, counted in Unicode code points as zod and JSON Schema's `maxLength`
   * both count them (an emoji is one, not two UTF-16 units), so the code and the published schema refuse
   * the same strings. The comment is the longest seen.
   */
  text: {
    'name.title': 64, // "Mademoiselle", 12
    'name.first': 256, // "Bernd-Dieter", 12
    'name.last': 256, // "Van der Heijden", 15
    'location.street.name': 256, // "Place de L'Abbé-Georges-Hénocque", 32
    'location.city': 256, // "Bahía de Huatulco(crucesita)", 28
    'location.state': 256, // "Australian Capital Territory", 28
    'location.country': 128, // "United Kingdom", 14
    'location.postcode': 32, // as text: "CG1R 6AX", 8
    'location.coordinates.latitude': 32, // "-52.1460", 8
    'location.coordinates.longitude': 32, // "-112.7654", 9
    'location.timezone.offset': 32, // "-11:00", 6
    'location.timezone.description': 256, // "Western Europe Time, London, Lisbon, Casablanca", 47
    email: 254, // SMTP's longest address; "bernd-dieter.schaffrath@example.com", 35
    'login.uuid': 36, // a UUID's one form
    'login.username': 128, // "beautifulbutterfly576", 21
    'dob.date': 32, // ISO 8601 with up to 11 fraction digits; "1972-09-09T02:11:54.528Z", 24
    'registered.date': 32,
    phone: 64, // "0116799 408 8397", 16
    cell: 64,
    'id.name': 64, // "UIDAI", 5
    'id.value': 128, // "NaNNA677undefined", 17
    'picture.large': 1024, // "https://randomuser.me/api/portraits/thumb/women/57.jpg", 54
    'picture.medium': 1024,
    'picture.thumbnail': 1024,
    nat: 2, // a two-letter code
  },
  /**
   * The range of each number, and of the numbers the coordinates spell as text. The comment is the range
   * seen.
   */
  range: {
    'location.street.number': { min: 0, max: 999_999 }, // 1..9999
    // A postcode sent as a number; ten digits is the longest national numeric postcode (Iran's).
    'location.postcode': { min: 0, max: 9_999_999_999 }, // 1001..99998
    'location.coordinates.latitude': { min: -90, max: 90 }, // -89.516..88.0107
    'location.coordinates.longitude': { min: -180, max: 180 }, // -179.6465..178.0138
    'dob.age': { min: 0, max: 150 }, // 23..82
    'registered.age': { min: 0, max: 150 }, // 3..24
  },
} as const;

type TextField = keyof typeof userLimits.text;
type RangeField = keyof typeof userLimits.range;

/**
 * The reason a too-long string is refused: its limit and its length, never its value (a 200 kB log line
 * would be a problem of its own).
 */
function tooLong(max: number) {
  return (issue: { input?: unknown }) =>
    `at most ${max} characters, got ${typeof issue.input === 'string' ? codePoints(issue.input) : 'more'}`;
}

/** The length of `s` in code points, as zod measures it, without copying a string that may be huge. */
function codePoints(s: string): number {
  let count = 0;
  for (const _ of s) count++;
  return count;
}

/**
 * A string of at most `userLimits.text[field]` characters. `abort` skips the checks after this one when it
 * fails, so a pattern is never run on (or reported for) a string already refused for its length; a union's
 * branch must not abort, or zod reports "no branch matched" instead of the limit.
 */
function text(field: TextField, options: { min?: number; abort?: boolean } = {}) {
  const max = userLimits.text[field];
  const base = options.min === undefined ? z.string() : z.string().min(options.min);
  return base.max(max, { abort: options.abort ?? false, error: tooLong(max) });
}

/** An integer within `userLimits.range[field]`; the reason names the bound and the value (a number). */
function int(field: RangeField) {
  const { min, max } = userLimits.range[field];
  return z
    .number()
    .int()
    .min(min, { error: (issue) => `at least ${min}, got ${String(issue.input)}` })
    .max(max, { error: (issue) => `at most ${max}, got ${String(issue.input)}` });
}

/** An ISO 8601 instant, as randomuser writes them, bounded so its fraction of a second cannot run on. */
function instant(field: 'dob.date' | 'registered.date') {
  const max = userLimits.text[field];
  return z.iso.datetime().max(max, { error: tooLong(max) });
}

/**
 * A coordinate, which randomuser sends as text: a decimal number within its range. The pattern spells the
 * range (`-90` to `90`, `-180` to `180`, any number of decimals) so the published JSON Schema, and the Spark
 * job that checks records against it, refuse exactly what zod refuses.
 */
const coordinatePatterns = {
  'location.coordinates.latitude': /^-?(?:90(?:\.0+)?|[1-8]?\d(?:\.\d+)?)$/,
  'location.coordinates.longitude': /^-?(?:180(?:\.0+)?|(?:1[0-7]\d|[1-9]?\d)(?:\.\d+)?)$/,
} as const;

function coordinate(field: keyof typeof coordinatePatterns) {
  const { min, max } = userLimits.range[field];
  return text(field, { abort: true }).regex(coordinatePatterns[field], {
    error: `expected a decimal number from ${min} to ${max}`,
  });
}

/**
 * The fields of a randomuser user that the pipeline keeps, each bounded by {@link userLimits}. Every object
 * is parsed with zod's default "strip" mode, so unknown keys, including a JSON `__proto__` key, never reach
 * the output.
 */
const userFields = {
  gender: z.enum(['male', 'female']),
  name: z.object({
    title: text('name.title'),
    first: text('name.first', { min: 1 }),
    last: text('name.last', { min: 1 }),
  }),
  location: z.object({
    street: z.object({ number: int('location.street.number'), name: text('location.street.name') }),
    city: text('location.city'),
    state: text('location.state'),
    country: text('location.country'),
    // A number for some nationalities, a string for others (randomuser's own data).
    postcode: z.union([text('location.postcode'), int('location.postcode')]),
    coordinates: z.object({
      latitude: coordinate('location.coordinates.latitude'),
      longitude: coordinate('location.coordinates.longitude'),
    }),
    timezone: z.object({
      offset: text('location.timezone.offset'),
      description: text('location.timezone.description'),
    }),
  }),
  email: text('email', { min: 1 }),
  dob: z.object({ date: instant('dob.date'), age: int('dob.age') }),
  registered: z.object({ date: instant('registered.date'), age: int('registered.age') }),
  phone: text('phone'),
  cell: text('cell'),
  id: z.object({ name: text('id.name'), value: text('id.value').nullable() }),
  picture: z.object({
    large: text('picture.large'),
    medium: text('picture.medium'),
    thumbnail: text('picture.thumbnail'),
  }),
  nat: text('nat', { abort: true }).regex(/^[A-Z]{2}$/, 'expected a two-letter nationality code'),
};

/**
 * A user as the pipeline keeps it: randomuser's record with `login` reduced to `uuid` and `username`.
 * Parsing a raw record with this schema is what drops the credentials.
 */
export const userSchema = z.object({
  ...userFields,
  login: z.object({
    uuid: z.uuid().max(userLimits.text['login.uuid'], { error: tooLong(userLimits.text['login.uuid']) }),
    username: text('login.username', { min: 1 }),
  }),
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
  batchId: z.string().min(1),
  seed: z.string(),
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
  batchId: z.string().min(1),
  count: z.number().int().min(0),
});
export type UsersStored = z.output<typeof usersStoredSchema>;

/** The detail types the pipeline puts on EventBridge. */
export const detailTypes = { usersFetched: events.usersFetched, usersStored: events.usersStored } as const;
