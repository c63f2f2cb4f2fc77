import { describe, expect, it } from 'vitest';
import { topicView } from './kafka-view.ts';

const offsets = [
  { partition: 1, offset: '7', low: '2', high: '7' },
  { partition: 0, offset: '3', low: '0', high: '3' },
];
const leaders = new Map([
  [0, 1],
  [1, 1],
]);

describe('topicView', () => {
  it('lists the partitions in order with their records and sizes, and sums both for the topic', () => {
    const view = topicView(
      't',
      offsets,
      leaders,
      new Map([
        [0, 300],
        [1, 1200],
      ]),
    );

    expect(view).toEqual({
      name: 't',
      partitions: [
        { partition: 0, leader: 1, low: '0', high: '3', records: 3, bytes: 300 },
        { partition: 1, leader: 1, low: '2', high: '7', records: 5, bytes: 1200 },
      ],
      records: 8,
      bytes: 1500,
    });
  });

  it("has no size when none was read, and no topic size when a partition's is missing", () => {
    const unread = topicView('t', offsets, leaders);
    const partial = topicView('t', offsets, leaders, new Map([[0, 300]]));

    expect(unread.bytes).toBeNull();
    expect(unread.partitions.map((p) => p.bytes)).toEqual([null, null]);
    expect(partial.bytes).toBeNull();
    expect(partial.partitions.map((p) => p.bytes)).toEqual([300, null]);
  });
});
