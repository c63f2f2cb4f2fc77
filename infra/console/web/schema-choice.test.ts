import { describe, expect, it } from 'vitest';
import { comparedPair, shownVersion } from './schema-choice.ts';

describe('shownVersion', () => {
  it('shows the version the query names when the subject has it, else the latest', () => {
    expect(shownVersion([1, 2, 3], '2')).toBe(2);
    expect(shownVersion([1, 2, 3], null)).toBe(3);
    expect(shownVersion([1, 2, 3], '7')).toBe(3);
    expect(shownVersion([1, 2, 3], 'x')).toBe(3);
  });

  it('shows none for a subject without versions', () => {
    expect(shownVersion([], '1')).toBeNull();
  });
});

describe('comparedPair', () => {
  it('compares the versions the query names when the subject has both', () => {
    expect(comparedPair([1, 2, 4], '1', '4')).toEqual({ from: 1, to: 4 });
    expect(comparedPair([1, 2, 4], '4', '1')).toEqual({ from: 4, to: 1 });
  });

  it('compares the one before the latest with the latest otherwise', () => {
    expect(comparedPair([1, 2, 4], null, null)).toEqual({ from: 2, to: 4 });
    expect(comparedPair([1, 2, 4], '1', '3')).toEqual({ from: 2, to: 4 });
    expect(comparedPair([1, 2, 4], '', '')).toEqual({ from: 2, to: 4 });
  });

  it('has nothing to compare with fewer than two versions', () => {
    expect(comparedPair([1], null, null)).toBeNull();
    expect(comparedPair([], '1', '2')).toBeNull();
  });
});
