import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NATIONALITIES } from './data.ts';
import { ageAt, emailPart, generateUsers, type RandomUser } from './generate.ts';

const fixtureFile = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../test/fixtures/randomuser/results-100-seed-fixture-v1.json',
);
const fixture = JSON.parse(readFileSync(fixtureFile, 'utf8')) as {
  results: Record<string, unknown>[];
  info: Record<string, unknown>;
};

type Shape = Map<string, Set<string>>;

const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Leaf key paths in document order, each with its JSON type. */
function leaves(value: unknown, prefix = '', out: [string, string][] = []): [string, string][] {
  if (jsonType(value) === 'object') {
    for (const [key, child] of Object.entries(value as object))
      leaves(child, prefix ? `${prefix}.${key}` : key, out);
  } else out.push([prefix, jsonType(value)]);
  return out;
}

function shapeOf(users: readonly unknown[]): Shape {
  const shape: Shape = new Map();
  for (const user of users) {
    for (const [path, type] of leaves(user)) {
      const types = shape.get(path) ?? new Set();
      types.add(type);
      shape.set(path, types);
    }
  }
  return shape;
}

const sorted = (s: Iterable<string>) => [...s].sort();
const fixtureShape = shapeOf(fixture.results);
const fixturePaths = leaves(fixture.results[0]).map(([path]) => path);
const NOW = Date.UTC(2026, 10, 22, 12);
const generated = generateUsers({ seed: 'contract', results: 2000, now: NOW }).results as RandomUser[];

/** Digits → #, uppercase letters → A: the format of an id without its values. */
const formatOf = (s: string) => s.replace(/\d/g, '#').replace(/[A-Z]/g, 'A');

function byNat<T>(
  users: readonly Record<string, unknown>[],
  pick: (u: RandomUser) => T,
): Map<string, Set<T>> {
  const out = new Map<string, Set<T>>();
  for (const raw of users) {
    const user = raw as unknown as RandomUser;
    const set = out.get(user.nat) ?? new Set<T>();
    set.add(pick(user));
    out.set(user.nat, set);
  }
  return out;
}

describe('contract with the real generator (fixture)', () => {
  it('reads a fixture whose users all share one set of key paths', () => {
    expect(fixture.results).toHaveLength(100);
    for (const user of fixture.results) expect(leaves(user).map(([p]) => p)).toEqual(fixturePaths);
    // The variations the contract allows are exactly the ones the real data shows.
    expect(sorted(fixtureShape.get('location.postcode') ?? [])).toEqual(['number', 'string']);
    expect(sorted(fixtureShape.get('id.value') ?? [])).toEqual(['null', 'string']);
  });

  it('gives every generated user the fixture key paths, in upstream order, with the fixture types', () => {
    for (const user of generated) {
      const userLeaves = leaves(user);
      expect(userLeaves.map(([p]) => p)).toEqual(fixturePaths);
      for (const [path, type] of userLeaves) {
        if (!fixtureShape.get(path)?.has(type))
          throw new Error(`${path} is ${type} in ${JSON.stringify(user)}`);
      }
    }
    const shape = shapeOf(generated);
    for (const [path, types] of fixtureShape)
      expect(sorted(shape.get(path) ?? []), path).toEqual(sorted(types));
  });

  it('produces every nationality of the fixture, with the fixture postcode type per nationality', () => {
    const fixtureTypes = byNat(fixture.results, (u) => typeof u.location.postcode);
    const generatedTypes = byNat(
      generated as unknown as Record<string, unknown>[],
      (u) => typeof u.location.postcode,
    );
    expect(sorted(generatedTypes.keys())).toEqual(sorted(fixtureTypes.keys()));
    expect(sorted(fixtureTypes.keys())).toEqual(sorted(NATIONALITIES));
    for (const [nat, types] of fixtureTypes)
      expect(sorted(generatedTypes.get(nat) ?? []), nat).toEqual(sorted(types));
  });

  it('uses the fixture id name and id format per nationality, with null values where the fixture has them', () => {
    const fixtureIds = byNat(
      fixture.results,
      (u) => `${u.id.name}|${u.id.value === null ? null : formatOf(u.id.value)}`,
    );
    const generatedIds = byNat(
      generated as unknown as Record<string, unknown>[],
      (u) => `${u.id.name}|${u.id.value === null ? null : formatOf(u.id.value)}`,
    );
    for (const [nat, formats] of generatedIds)
      expect(sorted(formats), nat).toEqual(sorted(fixtureIds.get(nat) ?? []));
    expect(generated.some((u) => u.id.value === null && u.id.name === '')).toBe(true);
  });

  it('writes IR names in Persian script, and Latin names with diacritics elsewhere', () => {
    const persian = /[\u0600-\u06ff]/;
    const ir = generated.filter((u) => u.nat === 'IR');
    expect(ir.length).toBeGreaterThan(0);
    for (const u of ir) expect(`${u.name.first}${u.name.last}`).toMatch(persian);
    const diacritic = /[\u00c0-\u024f]/;
    expect(generated.some((u) => u.nat !== 'IR' && diacritic.test(`${u.name.first} ${u.name.last}`))).toBe(
      true,
    );
    // Emails stay ASCII even for Persian and accented names.
    for (const u of generated) expect(u.email).toMatch(/^[a-z0-9-]+\.[a-z0-9-]+@example\.com$/);
  });

  it('fills every field in the formats upstream uses', () => {
    const isoMs = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
    const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const u of generated.slice(0, 300)) {
      expect(u.login.uuid).toMatch(uuidV4);
      const salted = u.login.password + u.login.salt;
      expect(u.login.md5).toBe(createHash('md5').update(salted).digest('hex'));
      expect(u.login.sha1).toBe(createHash('sha1').update(salted).digest('hex'));
      expect(u.login.sha256).toBe(createHash('sha256').update(salted).digest('hex'));
      expect(u.login.salt).toMatch(/^[A-Za-z0-9]{8}$/);
      expect(u.login.username).toMatch(/^[a-z]+\d{3}$/);
      for (const d of [u.dob, u.registered]) {
        expect(d.date).toMatch(isoMs);
        expect(d.age).toBe(ageAt(new Date(d.date), NOW));
      }
      expect(Number(u.location.coordinates.latitude)).toBeGreaterThanOrEqual(-90);
      expect(u.location.coordinates.longitude).toMatch(/^-?\d{1,3}\.\d{4}$/);
      expect(u.location.timezone.offset).toMatch(/^[+-]?\d{1,2}:\d{2}$/);
      const dir = u.gender === 'male' ? 'men' : 'women';
      expect(u.picture.large).toMatch(
        new RegExp(`^https://randomuser\\.me/api/portraits/${dir}/\\d{1,2}\\.jpg$`),
      );
      expect(u.picture.medium).toBe(u.picture.large.replace('/portraits/', '/portraits/med/'));
      expect(u.picture.thumbnail).toBe(u.picture.large.replace('/portraits/', '/portraits/thumb/'));
    }
  });

  it('has an info block of the fixture shape', () => {
    const { info } = generateUsers({ seed: 'fixture-v1', results: 100 });
    expect(Object.keys(info ?? {})).toEqual(Object.keys(fixture.info));
    expect(info).toEqual({ seed: 'fixture-v1', results: 100, page: 1, version: '1.4' });
    expect(info).toEqual(fixture.info);
  });
});

describe('determinism', () => {
  it('gives byte-identical output for the same seed, page and filters', () => {
    const a = generateUsers({ seed: 'same', page: 3, results: 50, nat: 'fr,ir', now: NOW });
    const b = generateUsers({ seed: 'same', page: '3', results: '50', nat: ['IR', 'FR'], now: NOW });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('keeps user i of a page the same whatever the number of results', () => {
    const five = generateUsers({ seed: 's', page: 2, results: 5, now: NOW }).results;
    const fifty = generateUsers({ seed: 's', page: 2, results: 50, now: NOW }).results;
    expect(fifty.slice(0, 5)).toEqual(five);
  });

  it('only hides fields with inc/exc, never changes them', () => {
    const full = generateUsers({ seed: 's', results: 20, now: NOW }).results;
    const logins = generateUsers({ seed: 's', results: 20, inc: 'login,nat', now: NOW }).results;
    expect(logins).toEqual(full.map((u) => ({ login: u.login, nat: u.nat })));
  });

  it('changes every uuid with the page, the seed or the filters', () => {
    const uuids = (options: Parameters<typeof generateUsers>[0]) =>
      generateUsers({ results: 100, ...options }).results.map((u) => u.login?.uuid);
    const base = new Set(uuids({ seed: 's', page: 1 }));
    for (const other of [
      uuids({ seed: 's', page: 2 }),
      uuids({ seed: 't', page: 1 }),
      uuids({ seed: 's', page: 1, nat: 'US' }),
      uuids({ seed: 's', page: 1, gender: 'female' }),
    ]) {
      expect(other.filter((u) => base.has(u))).toEqual([]);
    }
  });

  it('has no duplicate uuid across 50,000 users of several seeds and pages', { timeout: 60_000 }, () => {
    const seen = new Set<string>();
    for (const seed of ['alpha', 'beta']) {
      for (let page = 1; page <= 5; page++) {
        for (const u of generateUsers({ seed, page, results: 5000, inc: 'login' }).results)
          seen.add(u.login?.uuid ?? '');
      }
    }
    expect(seen.size).toBe(50_000);
  });

  it('makes up a 16-hex-digit seed when none is given, and reports it', () => {
    const a = generateUsers({ results: 2 });
    const b = generateUsers({ seed: '', results: 2 });
    expect(a.info?.seed).toMatch(/^[0-9a-f]{16}$/);
    expect(b.info?.seed).toMatch(/^[0-9a-f]{16}$/);
    expect(a.info?.seed).not.toBe(b.info?.seed);
    expect(
      generateUsers({ seed: a.info?.seed, results: 2, now: NOW }).results.map((u) => u.login?.uuid),
    ).toEqual(a.results.map((u) => u.login?.uuid));
  });

  it('generates a full page of 5000 distinct users', () => {
    const { results } = generateUsers({ seed: 'full-page', results: 5000 });

    expect(results).toHaveLength(5000);
    expect(new Set(results.map((u) => u.login?.uuid)).size).toBe(5000);
  });
});

describe('helpers', () => {
  it('derives ASCII email parts as upstream does', () => {
    expect(emailPart('Türkan')).toBe('turkan');
    expect(emailPart('Juan Carlos')).toBe('juancarlos');
    expect(emailPart('Van Oeveren')).toBe('vanoeveren');
    expect(emailPart('Bernd-Dieter')).toBe('bernd-dieter');
    expect(emailPart('Yılmaz')).toBe('yilmaz');
    expect(emailPart('زهرا')).toBe('zhr');
    expect(emailPart('علی رضا')).toBe('aalyrd');
  });

  it('counts whole years in UTC', () => {
    const now = Date.UTC(2026, 10, 22);
    expect(ageAt(new Date(Date.UTC(1972, 8, 9)), now)).toBe(54);
    expect(ageAt(new Date(Date.UTC(1965, 10, 23)), now)).toBe(60);
    expect(ageAt(new Date(Date.UTC(1965, 10, 22)), now)).toBe(61);
  });
});
