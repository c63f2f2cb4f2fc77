import { describe, expect, it } from 'vitest';
import { NATIONALITIES } from './data.ts';
import { generateUsers } from './generate.ts';
import {
  FIELDS,
  normalizeFields,
  normalizeNat,
  normalizePage,
  normalizeResults,
  parseQuery,
} from './params.ts';

const query = (q: string) => {
  const parsed = parseQuery(new URLSearchParams(q));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed;
};
const generate = (q: string) => generateUsers({ ...query(q).options, now: 0 });

describe('results and page', () => {
  it.each(['0', '5001', 'abc', '2.5', '-3', '', '1e3'])('serves one user for results=%j', (value) => {
    const response = generate(`results=${value}&seed=s`);
    expect(response.results).toHaveLength(1);
    expect(response.info?.results).toBe(1);
  });

  it('serves up to 5000 users', () => {
    expect(generate('results=5000&seed=s').results).toHaveLength(5000);
    expect(normalizeResults(5000)).toBe(5000);
    expect(normalizeResults(2.5)).toBe(1);
  });

  it('falls back to page 1 for an invalid page', () => {
    for (const value of ['0', '-1', 'x', '1.5']) expect(normalizePage(value)).toBe(1);
    expect(normalizePage('7')).toBe(7);
    expect(generate('page=4&seed=s').info?.page).toBe(4);
    expect(generate('page=nope&seed=s').info?.page).toBe(1);
  });
});

describe('nat and gender', () => {
  it('keeps known nationalities, case-insensitive, and ignores unknown ones', () => {
    expect(normalizeNat('us, gb,XX')).toEqual({ nat: ['GB', 'US'], filtered: true });
    const nats = new Set(generate('results=200&seed=s&nat=us,Gb,zz').results.map((u) => u.nat));
    expect([...nats].sort()).toEqual(['GB', 'US']);
  });

  it('uses every nationality when none given is valid', () => {
    expect(normalizeNat('xx,yy')).toEqual({ nat: [...NATIONALITIES], filtered: false });
    expect(new Set(generate('results=500&seed=s&nat=xx').results.map((u) => u.nat)).size).toBe(21);
  });

  it('reads repeated list parameters as one list', () => {
    expect(query('nat=us&nat=fr').options.nat).toBe('us,fr');
  });

  it('restricts the gender, and serves both for anything else', () => {
    expect(new Set(generate('results=100&seed=s&gender=female').results.map((u) => u.gender))).toEqual(
      new Set(['female']),
    );
    expect(new Set(generate('results=100&seed=s&gender=MALE').results.map((u) => u.gender))).toEqual(
      new Set(['male']),
    );
    expect(new Set(generate('results=100&seed=s&gender=other').results.map((u) => u.gender))).toEqual(
      new Set(['male', 'female']),
    );
  });
});

describe('inc, exc and noinfo', () => {
  it('keeps only the included fields, in upstream order', () => {
    const [user] = generate('seed=s&inc=nat,Login,name').results;
    expect(Object.keys(user ?? {})).toEqual(['name', 'login', 'nat']);
  });

  it('drops the excluded fields', () => {
    const [user] = generate('seed=s&exc=login,picture,id').results;
    expect(Object.keys(user ?? {})).toEqual(FIELDS.filter((f) => !['login', 'picture', 'id'].includes(f)));
  });

  it('lets inc win when both are given', () => {
    expect(normalizeFields('name,email', 'name')).toEqual(['name', 'email']);
    expect(Object.keys(generate('seed=s&inc=email&exc=email').results[0] ?? {})).toEqual(['email']);
  });

  it('ignores unknown field names, and an inc without known names', () => {
    expect(normalizeFields('bogus', undefined)).toEqual([...FIELDS]);
    expect(normalizeFields('bogus', 'cell,bogus')).toEqual(FIELDS.filter((f) => f !== 'cell'));
  });

  it('omits info with noinfo, whatever its value', () => {
    expect(generate('seed=s&noinfo')).not.toHaveProperty('info');
    expect(generate('seed=s&noinfo=false')).not.toHaveProperty('info');
    expect(generate('seed=s')).toHaveProperty('info');
  });
});

describe('format', () => {
  it('serves json by default, and pretty JSON on request', () => {
    expect(query('').pretty).toBe(false);
    expect(query('format=json').pretty).toBe(false);
    expect(query('format=PrettyJSON').pretty).toBe(true);
  });

  it('refuses the formats the local server does not implement', () => {
    for (const format of ['csv', 'yaml', 'xml']) {
      const parsed = parseQuery(new URLSearchParams({ format }));
      expect(parsed).toEqual({ ok: false, error: expect.stringContaining(format) });
    }
  });
});
