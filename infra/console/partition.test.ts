import { describe, expect, it } from 'vitest';
import { partitionFor } from './partition.ts';

describe('partitionFor', () => {
  // Kafka's own murmur2 vectors (UtilsTest: "abc" → 479470107, "a-little-bit-long-string" → -985981536), made
  // positive and taken modulo the count, as Java's DefaultPartitioner does.
  it.each([
    ['abc', 6, 3],
    ['a-little-bit-long-string', 6, 2],
    ['a-little-bit-long-string', 7, (-985981536 & 0x7fffffff) % 7],
  ])('puts key %s on a topic of %i partitions where Java would', (key, partitions, expected) => {
    expect(partitionFor('t', key, partitions)).toBe(expected);
  });

  it('agrees for a string key and its bytes', () => {
    const key = '3f1c2a9e-2b51-4c0e-9f53-9f0d3a1b2c4d';

    expect(partitionFor('t', key, 6)).toBe(partitionFor('t', Buffer.from(key), 6));
  });

  it('refuses a topic without partitions', () => {
    expect(() => partitionFor('t', 'a', 0)).toThrow(RangeError);
  });
});
