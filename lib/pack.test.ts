import { describe, expect, it } from 'vitest';
import { fitCount, packBySize } from './pack.ts';

const size = (n: number) => n;

describe('fitCount', () => {
  it('counts the items from start that fit within bytes, base and separators included', () => {
    // base 10 + 30 + 1 + 30 + 1 + 30 = 102 > 100, so two fit.
    const limits = { maxBytes: 100, baseBytes: 10, separatorBytes: 1 };

    expect(fitCount([30, 30, 30], size, limits)).toBe(2);
    expect(fitCount([30, 30, 30], size, limits, 2)).toBe(1);
    expect(fitCount([30, 30, 30], size, limits, 3)).toBe(0);
  });

  it('stops at maxItems', () => {
    expect(fitCount([1, 1, 1, 1], size, { maxBytes: 100, maxItems: 3 })).toBe(3);
  });

  it('is 0 when the first item does not fit alone', () => {
    expect(fitCount([95, 1], size, { maxBytes: 100, baseBytes: 10 })).toBe(0);
  });

  it('fills a group to exactly maxBytes', () => {
    expect(fitCount([50, 49], size, { maxBytes: 100, separatorBytes: 1 })).toBe(2);
    expect(fitCount([50, 50], size, { maxBytes: 100, separatorBytes: 1 })).toBe(1);
  });
});

describe('packBySize', () => {
  it('cuts items into groups within the limits, in order', () => {
    const items = [40, 40, 40, 10, 10, 70];

    const { packs, oversized } = packBySize(items, size, { maxBytes: 100, separatorBytes: 1 });

    expect(packs).toEqual([[40, 40], [40, 10, 10], [70]]);
    expect(packs.flat()).toEqual(items);
    expect(oversized).toEqual([]);
  });

  it('starts a new group at maxItems', () => {
    const { packs } = packBySize([1, 2, 3, 4, 5], size, { maxBytes: 1000, maxItems: 2 });

    expect(packs).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('sets an item too large for any group aside without closing the group it would have joined', () => {
    const { packs, oversized } = packBySize([30, 200, 30, 95], size, { maxBytes: 100, baseBytes: 10 });

    expect(packs).toEqual([[30, 30]]);
    expect(oversized).toEqual([200, 95]);
  });

  it('returns no group for no items', () => {
    expect(packBySize([], size, { maxBytes: 10 })).toEqual({ packs: [], oversized: [] });
  });
});
