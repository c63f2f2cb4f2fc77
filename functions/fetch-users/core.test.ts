import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fixtureUsers } from '../../test/helpers/fixtures.ts';
import { entrySize, putEventsLimits } from '../lib/eventbridge.ts';
import {
  credentialFields,
  detailTypes,
  eventSource,
  userSchema,
  usersFetchedSchema,
} from '../lib/schemas.ts';
import { acceptResults, batchIdOf, planPages, resolveRequest, toDetails } from './core.ts';

/** Every string value in a JSON-like value. */
function stringLeaves(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringLeaves);
  return [];
}

const defaults = { total: 1000, pageSize: 5000, nat: undefined };
const now = new Date('2026-11-24T10:00:00.000Z');

describe('resolveRequest', () => {
  it('derives the seed from a scheduled event time, so a retried tick fetches the same users', () => {
    const tick = { id: 'abc', time: '2026-11-24T10:00:00Z', 'detail-type': 'Scheduled Event' };

    expect(resolveRequest(tick, defaults, now)).toEqual(resolveRequest(tick, defaults, new Date(0)));
    expect(resolveRequest(tick, defaults, now).seed).toBe('tick-2026-11-24T10:00:00Z');
  });

  it('takes seed, total, pageSize, firstPage and nat from the event over the defaults', () => {
    const request = resolveRequest(
      { seed: 's', total: 12, pageSize: 5, firstPage: 3, nat: 'GB' },
      defaults,
      now,
    );

    expect(request).toEqual({ seed: 's', total: 12, pageSize: 5, firstPage: 3, nat: 'GB' });
  });

  it('falls back to the clock and the configured defaults', () => {
    expect(resolveRequest({}, defaults, now)).toEqual({
      seed: 'tick-2026-11-24T10:00:00.000Z',
      total: 1000,
      pageSize: 5000,
      firstPage: 1,
      nat: undefined,
    });
  });
});

describe('planPages', () => {
  it('asks for full pages and a smaller last page', () => {
    const pages = planPages({ seed: 's', total: 12_001, pageSize: 5000, firstPage: 1, nat: undefined });

    expect(pages).toEqual([
      { page: 1, results: 5000 },
      { page: 2, results: 5000 },
      { page: 3, results: 2001 },
    ]);
  });

  it('starts at firstPage', () => {
    expect(planPages({ seed: 's', total: 3, pageSize: 2, firstPage: 7, nat: undefined })).toEqual([
      { page: 7, results: 2 },
      { page: 8, results: 1 },
    ]);
  });
});

describe('acceptResults', () => {
  it('accepts all 100 fixture users and strips every credential field and value', () => {
    const raw = fixtureUsers();

    const { users, quarantined, duplicates } = acceptResults(raw, 'page 1', new Set());

    expect(quarantined).toEqual([]);
    expect(duplicates).toBe(0);
    expect(users).toHaveLength(100);
    const serialized = JSON.stringify(users);
    for (const field of credentialFields) expect(serialized).not.toContain(`"${field}"`);
    const leaves = users.flatMap((u) => stringLeaves(u));
    for (const record of raw) {
      const login = z.record(z.string(), z.string()).parse(record.login);
      // Salts and digests are random enough to search for anywhere; a password may be a common word, so
      // it must not be any whole value.
      for (const field of ['salt', 'md5', 'sha1', 'sha256'] as const)
        expect(serialized).not.toContain(login[field]);
      expect(leaves).not.toContain(login.password);
    }
    for (const user of users) expect(Object.keys(user.login).sort()).toEqual(['username', 'uuid']);
  });

  it('keeps the source text byte for byte, Persian script and diacritics included', () => {
    const raw = fixtureUsers();

    const { users } = acceptResults(raw, 'page 1', new Set());

    expect(users.map((u) => u.name)).toEqual(raw.map((r) => r.name));
    expect(users.some((u) => /[\u0600-\u06FF]/.test(u.name.first))).toBe(true);
  });

  it('quarantines each invalid record with its reason, and keeps its neighbours', () => {
    const [a, b, c, d] = fixtureUsers();
    const wrongType = { ...b, dob: { date: 'yesterday', age: 'old' } };
    const badUuid = { ...c, login: { username: 'x', uuid: 'not-a-uuid', password: 'hunter2' } };

    const { users, quarantined } = acceptResults(
      [a, wrongType, badUuid, 'not an object', d],
      'page 4',
      new Set(),
    );

    expect(users.map((u) => u.login.uuid)).toEqual([
      userSchema.parse(a).login.uuid,
      userSchema.parse(d).login.uuid,
    ]);
    expect(quarantined.map((q) => [q.index, q.code])).toEqual([
      [1, 'VALIDATION_FAILED'],
      [2, 'VALIDATION_FAILED'],
      [3, 'VALIDATION_FAILED'],
    ]);
    expect(quarantined[0]?.reason).toMatch(/page 4 results\[1\].*dob\.date/);
    expect(quarantined[1]).toMatchObject({ userId: 'not-a-uuid' });
    expect(quarantined[1]?.reason).toMatch(/login\.uuid/);
    expect(JSON.stringify(quarantined)).not.toContain('hunter2');
  });

  it('quarantines a record over a limit of the contract with a short reason naming the field and the limit', () => {
    const [a, b, c] = fixtureUsers();
    const hostile = structuredClone(b ?? {});
    hostile.name = { ...z.record(z.string(), z.unknown()).parse(hostile.name), first: 'A'.repeat(200_000) };

    const { users, quarantined } = acceptResults([a, hostile, c], 'randomuser page 1', new Set());

    expect(users.map((u) => u.login.uuid)).toEqual([a, c].map((raw) => userSchema.parse(raw).login.uuid));
    expect(quarantined).toEqual([
      {
        index: 1,
        userId: userSchema.parse(b).login.uuid,
        code: 'VALIDATION_FAILED',
        reason: 'invalid randomuser page 1 results[1]: name.first: at most 256 characters, got 200000',
      },
    ]);
  });

  it('quarantines a record without login.uuid', () => {
    const [a] = fixtureUsers();
    const { login, ...noLogin } = a ?? {};

    const { users, quarantined } = acceptResults([noLogin], 'p', new Set());

    expect(login).toBeDefined();
    expect(users).toEqual([]);
    expect(quarantined[0]?.reason).toMatch(/login/);
  });

  it('drops __proto__ keys without touching any prototype', () => {
    const [a] = fixtureUsers();
    const raw = JSON.parse(
      JSON.stringify(a)
        .replace('{"gender"', '{"__proto__":{"polluted":true},"gender"')
        .replace('"name":{', '"name":{"__proto__":{"admin":true},'),
    );

    const { users } = acceptResults([raw], 'p', new Set());

    expect(users).toHaveLength(1);
    expect(Object.hasOwn(users[0] ?? {}, '__proto__')).toBe(false);
    expect(JSON.stringify(users[0])).not.toContain('polluted');
    expect(JSON.stringify(users[0])).not.toContain('admin');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(users[0])).toBe(Object.prototype);
  });

  it('skips users already seen in the page or the run', () => {
    const [a, b] = fixtureUsers();
    const seen = new Set<string>();

    const first = acceptResults([a, b, a], 'p1', seen);
    const second = acceptResults([b], 'p2', seen);

    expect(first.users).toHaveLength(2);
    expect(first.duplicates).toBe(1);
    expect(second.users).toHaveLength(0);
    expect(second.duplicates).toBe(1);
  });
});

describe('toDetails', () => {
  const origin = { seed: 'seed-1', page: 2, fetchedAt: now };
  const users = acceptResults(fixtureUsers(), 'p', new Set()).users;
  const many = Array.from({ length: 50 }, () => users).flat();

  it('cuts 5000 users into valid UsersFetched details whose entries stay under 256 KB', () => {
    const { details, oversized } = toDetails(origin, many, putEventsLimits.maxBytes);

    expect(oversized).toEqual([]);
    expect(details.length).toBeGreaterThan(10);
    for (const detail of details) {
      expect(usersFetchedSchema.parse(detail)).toEqual(detail);
      expect(entrySize(eventSource, detailTypes.usersFetched, JSON.stringify(detail))).toBeLessThanOrEqual(
        putEventsLimits.maxBytes,
      );
    }
    expect(details.flatMap((d) => d.users)).toEqual(many);
    expect(details.map((d) => [d.part, d.parts])).toEqual(details.map((_, i) => [i, details.length]));
    expect(new Set(details.map((d) => d.batchId))).toEqual(new Set([batchIdOf('seed-1', 2)]));
  });

  it('fills entries close to the limit rather than sending many small ones', () => {
    const limit = 20_000;

    const { details } = toDetails(origin, many, limit);

    const sizes = details.map((d) => entrySize(eventSource, detailTypes.usersFetched, JSON.stringify(d)));
    for (const size of sizes) expect(size).toBeLessThanOrEqual(limit);
    for (const size of sizes.slice(0, -1)) expect(size).toBeGreaterThan(limit - 2_000);
  });

  it('sets aside a user too large for any entry', () => {
    const [first, second] = users;
    if (!first || !second) throw new Error('fixture too small');
    const huge = { ...second, location: { ...second.location, city: 'x'.repeat(30_000) } };

    const { details, oversized } = toDetails(origin, [first, huge], 20_000);

    expect(oversized).toEqual([huge]);
    expect(details.flatMap((d) => d.users)).toEqual([first]);
  });
});
