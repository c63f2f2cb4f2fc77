import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { generateUsers } from '../../infra/randomuser/index.ts';
import { fixtureUsers } from '../../test/helpers/fixtures.ts';
import { largestUser } from '../../test/helpers/users-created.ts';
import { entrySize, putEventsLimits } from './eventbridge.ts';
import { publishedSchemaTarget } from './published-schemas.ts';
import { detailTypes, eventSource, userLimits, userSchema } from './schemas.ts';
import { userCreated } from './users-created.ts';
import { check } from './validate.ts';

type TextField = keyof typeof userLimits.text;
type RangeField = keyof typeof userLimits.range;

/** A fixture user (credentials and all, as randomuser sends it) with the value at `path` replaced. */
function withValue(path: string, value: unknown): Record<string, unknown> {
  const user = structuredClone(fixtureUsers()[0] ?? {});
  const keys = path.split('.');
  const last = keys.pop() ?? '';
  let node: Record<string, unknown> = user;
  for (const key of keys) {
    const child = node[key];
    if (!isRecord(child)) throw new Error(`no object at ${key} of ${path}`);
    node = child;
  }
  node[last] = value;
  return user;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at `path` of a raw user, when there is one. */
function valueAt(user: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), user);
}

/** Why the user with `value` at `path` is refused, or undefined when it is accepted. */
function reason(path: string, value: unknown): string | undefined {
  const checked = check(userSchema, withValue(path, value), 'results[0]');
  return checked.ok ? undefined : checked.error.message;
}

/** The paths of every string and number in a JSON Schema, each with its schema. */
function leaves(schema: unknown, path = ''): { path: string; schema: Record<string, unknown> }[] {
  const node = z.record(z.string(), z.unknown()).parse(schema);
  const properties = z.record(z.string(), z.unknown()).optional().parse(node.properties);
  if (properties) {
    return Object.entries(properties).flatMap(([key, child]) => leaves(child, path ? `${path}.${key}` : key));
  }
  const alternatives = z.array(z.unknown()).optional().parse(node.anyOf);
  if (alternatives) return alternatives.flatMap((alternative) => leaves(alternative, path));
  return node.type === 'null' ? [] : [{ path, schema: node }];
}

const lengths = Object.entries(userLimits.text) as [TextField, number][];
const ranges = Object.entries(userLimits.range) as [RangeField, { min: number; max: number }][];
const coordinates = ['location.coordinates.latitude', 'location.coordinates.longitude'] as const;
const numbers = ranges.filter(([field]) => !(coordinates as readonly string[]).includes(field));

describe('the bounds of a user (userLimits)', () => {
  it('accept every user of the real generator: the 100 fixture users of all 21 nationalities', () => {
    const refused = fixtureUsers()
      .map((raw, index) => ({ index, checked: check(userSchema, raw, `fixture results[${index}]`) }))
      .filter(({ checked }) => !checked.ok);

    expect(refused).toEqual([]);
    expect(fixtureUsers()).toHaveLength(100);
  });

  it('accept 20,000 users of the local stand-in, all nationalities', () => {
    const { results } = generateUsers({ seed: 'bounds', results: 5000, page: 1 });
    const more = [2, 3, 4].flatMap((page) => generateUsers({ seed: 'bounds', results: 5000, page }).results);

    const refused = [...results, ...more].filter((user) => !userSchema.safeParse(user).success);

    expect(refused).toEqual([]);
    expect(new Set([...results, ...more].map((u) => u.nat)).size).toBe(21);
  });

  it('leave at least four times the longest real value of each free-text field', () => {
    const longest = new Map<string, number>();
    for (const raw of fixtureUsers()) {
      for (const [field] of lengths) {
        const value = valueAt(raw, field);
        if (typeof value === 'string') longest.set(field, Math.max(longest.get(field) ?? 0, value.length));
      }
    }
    // Fixed-form fields (uuid, dates, coordinates, nat) are bounded by their form instead.
    const fixedForm = new Set<string>(['login.uuid', 'dob.date', 'registered.date', 'nat', ...coordinates]);

    for (const [field, limit] of lengths) {
      if (fixedForm.has(field)) continue;
      expect(longest.get(field), field).toBeDefined();
      expect(limit, field).toBeGreaterThanOrEqual(4 * (longest.get(field) ?? Number.POSITIVE_INFINITY));
    }
  });

  it.each(lengths)(
    'refuses %s one character over its limit of %i, naming the field and the limit',
    (field, limit) => {
      const tooLong = 'a'.repeat(limit + 1);

      expect(reason(field, tooLong)).toContain(`${field}: at most ${limit} characters, got ${limit + 1}`);
    },
  );

  it.each(numbers)(
    'refuses %s one past either end of its range %o, naming the field and the bound',
    (field, { min, max }) => {
      expect(reason(field, min)).toBeUndefined();
      expect(reason(field, max)).toBeUndefined();
      expect(reason(field, min - 1)).toBe(`invalid results[0]: ${field}: at least ${min}, got ${min - 1}`);
      expect(reason(field, max + 1)).toBe(`invalid results[0]: ${field}: at most ${max}, got ${max + 1}`);
    },
  );

  it.each(coordinates)('accepts %s as a decimal number within its range, and nothing else', (field) => {
    const { max } = userLimits.range[field];
    const refusal = `invalid results[0]: ${field}: expected a decimal number from ${-max} to ${max}`;

    for (const ok of [`${max}`, `-${max}`, `${max}.0000`, `-${max - 1}.9999`, '0', '-0.5', '7.1234']) {
      expect(reason(field, ok), ok).toBeUndefined();
    }
    for (const bad of [`${max}.0001`, `-${max}.5`, `${max + 1}`, '1e1', '+1', ' 1', '', '.5', '1.', 'NaN']) {
      expect(reason(field, bad), bad).toBe(refusal);
    }
  });

  it('refuses the hostile 200,000-character first name with a short reason that names the field', () => {
    const message = reason('name.first', 'A'.repeat(200_000));

    expect(message).toBe('invalid results[0]: name.first: at most 256 characters, got 200000');
  });

  it('counts characters as code points, as JSON Schema does: an emoji is one', () => {
    expect(reason('name.first', '😀'.repeat(256))).toBeUndefined();
    expect(reason('name.first', '😀'.repeat(257))).toContain('name.first: at most 256 characters, got 257');
  });

  it('bound every string and number of the published user, each from the one table', () => {
    const published = leaves(z.toJSONSchema(userSchema, { target: publishedSchemaTarget, io: 'output' }));
    const strings = published.filter((leaf) => leaf.schema.type === 'string' && !leaf.schema.enum);
    const integers = published.filter((leaf) => leaf.schema.type === 'integer');

    expect(published.every((leaf) => ['string', 'integer'].includes(String(leaf.schema.type)))).toBe(true);
    expect(Object.fromEntries(strings.map((leaf) => [leaf.path, leaf.schema.maxLength]))).toEqual(
      userLimits.text,
    );
    expect(
      Object.fromEntries(integers.map((leaf) => [leaf.path, [leaf.schema.minimum, leaf.schema.maximum]])),
    ).toEqual(Object.fromEntries(numbers.map(([field, { min, max }]) => [field, [min, max]])));
  });

  it('keep the largest possible user within an EventBridge entry and a Kafka record', () => {
    const user = largestUser('5b7b3c8e-8f1e-4d5a-9c2b-1a2b3c4d5e6f');
    const detail = { schemaVersion: 1, batchId: 's:1', seed: 's', page: 1, part: 0, parts: 1, users: [user] };
    const value = JSON.stringify(
      userCreated(user, { batchId: 's:1', fetchedAt: '2026-01-01T00:00:00.000Z' }),
    );

    expect(userSchema.parse(user)).toEqual(user);
    expect(entrySize(eventSource, detailTypes.usersFetched, JSON.stringify(detail))).toBeLessThan(
      putEventsLimits.maxBytes / 4,
    );
    expect(Buffer.byteLength(value)).toBeLessThan(64 * 1024);
  });
});
