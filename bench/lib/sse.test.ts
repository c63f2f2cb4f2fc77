import { describe, expect, it } from 'vitest';
import { SseEventCounter } from './sse.ts';

const snapshot = (n: number) => `event: snapshot\ndata: {"n":${n}}\n\n`;

describe('SseEventCounter', () => {
  it('counts whole events of its name, and not the retry line or other events', () => {
    const counter = new SseEventCounter('snapshot');

    const completed = counter.feed(`retry: 2000\n\n${snapshot(1)}event: other\ndata: x\n\n${snapshot(2)}`);

    expect(completed).toBe(2);
    expect(counter.count).toBe(2);
  });

  it('waits for the blank line that ends an event, however the chunks cut the text', () => {
    const text = `retry: 2000\n\n${snapshot(1)}${snapshot(2)}${snapshot(3)}`;
    for (let size = 1; size <= 7; size++) {
      const counter = new SseEventCounter('snapshot');
      const seen: number[] = [];
      for (let i = 0; i < text.length; i += size) seen.push(counter.feed(text.slice(i, i + size)));

      expect(counter.count).toBe(3);
      expect(seen.filter((n) => n > 0)).toHaveLength(3);
    }
  });

  it('does not count an event whose blank line has not arrived', () => {
    const counter = new SseEventCounter('snapshot');

    counter.feed('event: snapshot\ndata: {"n":1}\n');

    expect(counter.count).toBe(0);
    expect(counter.feed('\n')).toBe(1);
  });

  it('reads CRLF line endings too', () => {
    const counter = new SseEventCounter('snapshot');

    counter.feed('event: snapshot\r\ndata: {}\r\n\r\n');

    expect(counter.count).toBe(1);
  });
});
