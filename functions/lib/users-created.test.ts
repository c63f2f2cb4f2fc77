import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fixtureUsers } from '../../test/helpers/fixtures.ts';
import { credentialFields, type User, userSchema } from './schemas.ts';
import {
  createdUserColumns,
  insertUserCql,
  rowValues,
  toCreatedUserRow,
  userCreated,
  userCreatedSchema,
} from './users-created.ts';

const users: User[] = fixtureUsers().map((raw) => userSchema.parse(raw));
const mapped = users.map((user) => ({ user, row: toCreatedUserRow(user) }));
const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('toCreatedUserRow on the 100 fixture users', () => {
  it('maps every fixture user', () => {
    expect(mapped).toHaveLength(100);
  });

  it('keys each row by login.uuid', () => {
    for (const { user, row } of mapped) expect(row.id).toBe(user.login.uuid);
    expect(new Set(mapped.map(({ row }) => row.id)).size).toBe(100);
  });

  it('builds the address as "number street, city, state, country"', () => {
    for (const { user, row } of mapped) {
      const { street, city, state, country } = user.location;
      expect(row.address).toBe(`${street.number} ${street.name}, ${city}, ${state}, ${country}`);
    }
  });

  it('stores numeric and string postcodes as the same text', () => {
    const numeric = mapped.filter(({ user }) => typeof user.location.postcode === 'number');
    const text = mapped.filter(({ user }) => typeof user.location.postcode === 'string');

    expect(numeric.length).toBeGreaterThan(0);
    expect(text.length).toBeGreaterThan(0);
    for (const { user, row } of mapped) {
      expect(typeof row.post_code).toBe('string');
      expect(row.post_code).toBe(String(user.location.postcode));
    }
  });

  it('uses the medium picture', () => {
    for (const { user, row } of mapped) expect(row.picture).toBe(user.picture.medium);
  });

  it('turns dob and registered into the Dates of their ISO instants', () => {
    for (const { user, row } of mapped) {
      expect(row.dob).toBeInstanceOf(Date);
      expect(row.registered_date).toBeInstanceOf(Date);
      expect(row.dob.getTime()).toBe(Date.parse(user.dob.date));
      expect(row.registered_date.getTime()).toBe(Date.parse(user.registered.date));
      expect(row.dob.toISOString()).toBe(user.dob.date);
    }
  });

  it('keeps names byte for byte, Persian script and diacritics included', () => {
    const persian = mapped.filter(({ row }) => /\p{Script=Arabic}/u.test(row.first_name + row.last_name));
    const diacritics = mapped.filter(
      ({ row }) => /[^\p{ASCII}]/u.test(row.last_name) && /\p{Script=Latin}/u.test(row.last_name),
    );

    expect(persian.length).toBeGreaterThan(0);
    expect(diacritics.length).toBeGreaterThan(0);
    for (const { user, row } of mapped) {
      expect(bytes(row.first_name).equals(bytes(user.name.first))).toBe(true);
      expect(bytes(row.last_name).equals(bytes(user.name.last))).toBe(true);
    }
  });

  it('returns rowValues in createdUserColumns order', () => {
    for (const { row } of mapped) {
      const values = rowValues(row);

      expect(values).toHaveLength(createdUserColumns.length);
      createdUserColumns.forEach((column, i) => {
        expect(values[i]).toBe(row[column]);
      });
    }
  });

  it('carries no credential into a row', () => {
    // Passwords are dictionary words that may be part of a name; the hashes are unique to the credentials.
    const hashes = z.object({ login: z.object({ md5: z.string(), sha1: z.string(), sha256: z.string() }) });
    const secrets = fixtureUsers().flatMap((raw) => Object.values(hashes.parse(raw).login));

    expect(secrets).toHaveLength(300);
    for (const { row } of mapped) {
      const serialized = JSON.stringify(row);
      for (const field of credentialFields) expect(Object.keys(row)).not.toContain(field);
      for (const secret of secrets) expect(serialized).not.toContain(secret);
    }
  });
});

describe('userCreated', () => {
  it('builds a valid users_created value keyed by the user id, for every fixture user', () => {
    const batch = { batchId: 'seed:1', fetchedAt: '2026-11-24T10:00:00.000Z' };

    for (const user of users) {
      const message = userCreated(user, batch);

      expect(userCreatedSchema.parse(message)).toEqual(message);
      expect(message).toMatchObject({ id: user.login.uuid, ...batch, user });
    }
  });
});

describe('insertUserCql', () => {
  it('names every column of created_users, in rowValues order, with one marker each', () => {
    expect(insertUserCql).toBe(
      'INSERT INTO created_users (id, first_name, last_name, gender, address, post_code, email, username, ' +
        'dob, registered_date, phone, picture, nationality) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
  });
});
