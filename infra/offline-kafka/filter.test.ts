import { describe, expect, it } from 'vitest';
import { baseTimestamp, sourceRecord } from '../../test/helpers/source-records.ts';
import { filterView, matchesAny } from './filter.ts';

function withValue(value: unknown) {
  return sourceRecord({ offset: 3, value: Buffer.from(JSON.stringify(value)) });
}

/** Whether a record whose value is `value` (as JSON) matches `pattern`. */
function matches(pattern: Record<string, unknown>, value: unknown): boolean {
  return matchesAny([pattern], withValue(value));
}

describe('filterView', () => {
  it('exposes the metadata, the key’s text and the value parsed as JSON', () => {
    const view = filterView(sourceRecord({ offset: 3, partition: 2, key: Buffer.from('k1') }));

    expect(view).toEqual({
      topic: 'users_created',
      partition: 2,
      offset: 3,
      timestamp: baseTimestamp,
      timestampType: 'CREATE_TIME',
      key: 'k1',
      value: { n: 3 },
    });
  });

  it('keeps a UTF-8 value that is not JSON as its text', () => {
    expect(filterView(sourceRecord({ value: Buffer.from('hello, world') })).value).toBe('hello, world');
  });

  it('leaves out a value that is not UTF-8, and a null key and value', () => {
    const binary = filterView(sourceRecord({ value: Buffer.from([0xff, 0xfe, 0x00]) }));
    const tombstone = filterView(sourceRecord({ key: null, value: null }));

    expect(binary).not.toHaveProperty('value');
    expect(tombstone).not.toHaveProperty('value');
    expect(tombstone).not.toHaveProperty('key');
  });
});

describe('matchesAny', () => {
  it('lets every record through when there are no patterns', () => {
    expect(matchesAny([], sourceRecord({ value: Buffer.from([0xff]) }))).toBe(true);
  });

  it('matches when any one of the patterns matches', () => {
    const patterns = [{ value: { country: ['NL'] } }, { value: { country: ['FR'] } }];

    expect(matchesAny(patterns, withValue({ country: 'FR' }))).toBe(true);
    expect(matchesAny(patterns, withValue({ country: 'DE' }))).toBe(false);
  });

  it('requires every field of a pattern to match', () => {
    const pattern = { value: { country: ['NL'], gender: ['female'] } };

    expect(matches(pattern, { country: 'NL', gender: 'female' })).toBe(true);
    expect(matches(pattern, { country: 'NL', gender: 'male' })).toBe(false);
  });

  it('matches metadata fields', () => {
    expect(matchesAny([{ partition: [2] }], sourceRecord({ partition: 2 }))).toBe(true);
    expect(matchesAny([{ partition: [2] }], sourceRecord({ partition: 1 }))).toBe(false);
    expect(matchesAny([{ topic: [{ prefix: 'users_' }] }], sourceRecord())).toBe(true);
  });

  it('matches exact strings, numbers, booleans and null, without coercion', () => {
    expect(matches({ value: { a: ['x'] } }, { a: 'x' })).toBe(true);
    expect(matches({ value: { a: [5] } }, { a: 5 })).toBe(true);
    expect(matches({ value: { a: [5] } }, { a: '5' })).toBe(false);
    expect(matches({ value: { a: [true] } }, { a: true })).toBe(true);
    expect(matches({ value: { a: [null] } }, { a: null })).toBe(true);
    expect(matches({ value: { a: [null] } }, {})).toBe(false);
    expect(matches({ value: { a: [''] } }, { a: '' })).toBe(true);
  });

  it('matches an array in the data when any of its elements matches', () => {
    expect(matches({ value: { tags: ['b'] } }, { tags: ['a', 'b'] })).toBe(true);
    expect(matches({ value: { tags: ['c'] } }, { tags: ['a', 'b'] })).toBe(false);
  });

  it('matches nested objects', () => {
    const pattern = { value: { location: { country: ['NL'] } } };

    expect(matches(pattern, { location: { country: 'NL', city: 'Utrecht' } })).toBe(true);
    expect(matches(pattern, { location: { country: 'BE' } })).toBe(false);
    expect(matches(pattern, { location: 'NL' })).toBe(false);
    expect(matches(pattern, {})).toBe(false);
  });

  it('matches a nested pattern against an array of objects when one of them matches', () => {
    const pattern = { value: { items: { sku: ['b'] } } };

    expect(matches(pattern, { items: [{ sku: 'a' }, { sku: 'b' }] })).toBe(true);
    expect(matches(pattern, { items: [{ sku: 'a' }] })).toBe(false);
    expect(matches(pattern, { items: [] })).toBe(false);
  });

  it('matches prefix and suffix on strings only, with or without case', () => {
    expect(matches({ value: { email: [{ prefix: 'ann' }] } }, { email: 'anna@example.com' })).toBe(true);
    expect(matches({ value: { email: [{ prefix: 'bob' }] } }, { email: 'anna@example.com' })).toBe(false);
    expect(matches({ value: { email: [{ suffix: '.com' }] } }, { email: 'anna@example.com' })).toBe(true);
    expect(matches({ value: { email: [{ suffix: '.nl' }] } }, { email: 'anna@example.com' })).toBe(false);
    expect(matches({ value: { n: [{ prefix: '1' }] } }, { n: 12 })).toBe(false);
    expect(
      matches({ value: { email: [{ prefix: { 'equals-ignore-case': 'ANN' } }] } }, { email: 'anna@x.com' }),
    ).toBe(true);
    expect(
      matches({ value: { email: [{ suffix: { 'equals-ignore-case': '.COM' } }] } }, { email: 'anna@x.com' }),
    ).toBe(true);
  });

  it('matches anything-but a scalar, a list, or a prefix, and never an absent field', () => {
    expect(matches({ value: { state: [{ 'anything-but': 'stopped' }] } }, { state: 'running' })).toBe(true);
    expect(matches({ value: { state: [{ 'anything-but': 'stopped' }] } }, { state: 'stopped' })).toBe(false);
    expect(matches({ value: { n: [{ 'anything-but': [1, 2] }] } }, { n: 3 })).toBe(true);
    expect(matches({ value: { n: [{ 'anything-but': [1, 2] }] } }, { n: 2 })).toBe(false);
    expect(matches({ value: { s: [{ 'anything-but': { prefix: 'init' } }] } }, { s: 'initializing' })).toBe(
      false,
    );
    expect(matches({ value: { s: [{ 'anything-but': { prefix: 'init' } }] } }, { s: 'running' })).toBe(true);
    expect(matches({ value: { s: [{ 'anything-but': 'stopped' }] } }, {})).toBe(false);
  });

  it('matches numeric ranges and comparisons on numbers only', () => {
    const range = { value: { age: [{ numeric: ['>=', 18, '<', 65] }] } };

    expect(matches(range, { age: 18 })).toBe(true);
    expect(matches(range, { age: 64.5 })).toBe(true);
    expect(matches(range, { age: 65 })).toBe(false);
    expect(matches(range, { age: 17 })).toBe(false);
    expect(matches(range, { age: '30' })).toBe(false);
    expect(matches({ value: { n: [{ numeric: ['=', 3] }] } }, { n: 3 })).toBe(true);
    expect(matches({ value: { n: [{ numeric: ['>', 3] }] } }, { n: 3 })).toBe(false);
    expect(matches({ value: { n: [{ numeric: ['<=', 3] }] } }, { n: 3 })).toBe(true);
    expect(matches({ value: { n: [{ numeric: ['!=', 3] }] } }, { n: 4 })).toBe(false);
    expect(matches({ value: { n: [{ numeric: [] }] } }, { n: 4 })).toBe(false);
  });

  it('matches exists true and false', () => {
    expect(matches({ value: { email: [{ exists: true }] } }, { email: 'a@b' })).toBe(true);
    expect(matches({ value: { email: [{ exists: true }] } }, {})).toBe(false);
    expect(matches({ value: { email: [{ exists: false }] } }, {})).toBe(true);
    expect(matches({ value: { email: [{ exists: false }] } }, { email: 'a@b' })).toBe(false);
  });

  it('matches exists false under a parent that is missing altogether', () => {
    const pattern = { value: { location: { country: [{ exists: false }] } } };

    expect(matches(pattern, { name: 'x' })).toBe(true);
    expect(matches(pattern, { location: { city: 'Utrecht' } })).toBe(true);
    expect(matches(pattern, { location: { country: 'NL' } })).toBe(false);
  });

  it('matches equals-ignore-case', () => {
    expect(matches({ value: { g: [{ 'equals-ignore-case': 'FEMALE' }] } }, { g: 'female' })).toBe(true);
    expect(matches({ value: { g: [{ 'equals-ignore-case': 'FEMALE' }] } }, { g: 'male' })).toBe(false);
  });

  it('matches wildcards, with regular-expression characters taken literally', () => {
    expect(matches({ value: { f: [{ wildcard: '*.png' }] } }, { f: 'dir/a.png' })).toBe(true);
    expect(matches({ value: { f: [{ wildcard: '*.png' }] } }, { f: 'a.jpg' })).toBe(false);
    expect(matches({ value: { f: [{ wildcard: 'a*c*e' }] } }, { f: 'abcde' })).toBe(true);
    expect(matches({ value: { f: [{ wildcard: 'a.c' }] } }, { f: 'abc' })).toBe(false);
  });

  it('matches a value that is text rather than JSON', () => {
    const record = sourceRecord({ value: Buffer.from('hello world') });

    expect(matchesAny([{ value: ['hello world'] }], record)).toBe(true);
    expect(matchesAny([{ value: [{ prefix: 'hello' }] }], record)).toBe(true);
    expect(matchesAny([{ value: [{ prefix: 'bye' }] }], record)).toBe(false);
  });

  it('never matches a value pattern against a value that is not UTF-8, but still matches its metadata', () => {
    const record = sourceRecord({ partition: 1, value: Buffer.from([0xc3, 0x28]) });

    expect(matchesAny([{ value: [{ exists: true }] }], record)).toBe(false);
    expect(matchesAny([{ value: { n: [1] } }], record)).toBe(false);
    expect(matchesAny([{ partition: [1] }], record)).toBe(true);
  });

  it('never matches an unknown operator or a rule that is not a list or an object', () => {
    expect(matches({ value: { ip: [{ cidr: '10.0.0.0/8' }] } }, { ip: '10.0.0.1' })).toBe(false);
    expect(matches({ value: { a: 'x' } }, { a: 'x' })).toBe(false);
  });
});
