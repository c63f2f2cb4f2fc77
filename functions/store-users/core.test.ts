import { describe, expect, it } from 'vitest';
import { fixtureUsers } from '../../test/helpers/fixtures.ts';
import { userSchema } from '../lib/schemas.ts';
import { userCreatedSchema } from '../lib/users-created.ts';
import { findUnstorable, prepareUsers } from './core.ts';

const batch = { batchId: 'seed:1', fetchedAt: '2026-11-24T10:00:00.000Z' };
const users = fixtureUsers().map((raw) => userSchema.parse(raw));

describe('findUnstorable', () => {
  it('finds NUL and lone surrogates in values and keys, with their path', () => {
    expect(findUnstorable({ a: { b: ['ok', 'bad\u0000'] } })).toBe('a.b[1]');
    expect(findUnstorable({ name: 'x\uD800y' })).toBe('name');
    expect(findUnstorable({ name: 'x\uDC00' })).toBe('name');
    expect(findUnstorable({ 'k\u0000': 1 })).toBe('k\u0000');
  });

  it('accepts paired surrogates, Persian script and diacritics', () => {
    expect(findUnstorable({ a: '😀 سارا Šćž', b: [1, null, true] })).toBeUndefined();
  });
});

describe('prepareUsers', () => {
  it('prepares every fixture user with a valid UserCreated message', () => {
    const prepared = prepareUsers(users, batch, 'b');

    expect(prepared.rejected).toEqual([]);
    expect(prepared.users).toHaveLength(100);
    for (const [i, p] of prepared.users.entries()) {
      const message = userCreatedSchema.parse(JSON.parse(p.message));
      expect(message).toEqual({ schemaVersion: 1, type: 'UserCreated', id: p.id, ...batch, user: users[i] });
      expect(JSON.parse(p.payload)).toEqual(users[i]);
    }
  });

  it('rejects a NUL before the transaction, naming where, and keeps the neighbours', () => {
    const [a, b, c] = users;
    const withNul = { ...b, name: { ...b?.name, first: 'Ro\u0000bert' } };

    const prepared = prepareUsers([a, withNul, c], batch, 'UsersFetched seed:1');

    expect(prepared.users.map((u) => u.id)).toEqual([a?.login.uuid, c?.login.uuid]);
    expect(prepared.rejected).toHaveLength(1);
    expect(prepared.rejected[0]).toMatchObject({ index: 1, userId: b?.login.uuid });
    expect(prepared.rejected[0]?.error).toMatchObject({
      code: 'UNSTORABLE_TEXT',
      where: 'UsersFetched seed:1 users[1].name.first',
    });
  });

  it('rejects an invalid user with a validation error that says where', () => {
    const [a] = users;

    const prepared = prepareUsers([a, { login: { uuid: 'x' } }], batch, 'b');

    expect(prepared.users).toHaveLength(1);
    expect(prepared.rejected[0]?.error.message).toMatch(/b users\[1\].*login\.uuid/);
  });

  it('rejects a user over a limit of the contract before the transaction, naming the field and the limit', () => {
    const [a, b, c] = users;
    const hostile = { ...b, name: { ...b?.name, first: 'A'.repeat(200_000) } };

    const prepared = prepareUsers([a, hostile, c], batch, 'UsersFetched seed:1');

    expect(prepared.users.map((u) => u.id)).toEqual([a?.login.uuid, c?.login.uuid]);
    expect(prepared.rejected.map((r) => [r.index, r.error.code, r.error.message])).toEqual([
      [
        1,
        'VALIDATION_FAILED',
        'invalid UsersFetched seed:1 users[1]: name.first: at most 256 characters, got 200000',
      ],
    ]);
  });

  it('drops credentials even if an upstream stage let them through', () => {
    const raw = fixtureUsers()[0];

    const prepared = prepareUsers([raw], batch, 'b');

    expect(prepared.users[0]?.payload).not.toMatch(/password|salt|sha256/);
    expect(prepared.users[0]?.message).not.toMatch(/password|salt|sha256/);
  });

  it('keeps the first of duplicate ids and counts the rest', () => {
    const [a, b] = users;

    const prepared = prepareUsers([a, b, a, a], batch, 'b');

    expect(prepared.users.map((u) => u.id)).toEqual([a?.login.uuid, b?.login.uuid]);
    expect(prepared.duplicates).toBe(2);
  });
});
