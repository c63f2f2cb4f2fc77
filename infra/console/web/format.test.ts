import { describe, expect, it } from 'vitest';
import {
  bytes,
  count,
  countedAgo,
  duration,
  hexDump,
  localInputToIso,
  plural,
  previousOffset,
  rate,
  time,
  valuePreview,
  valueText,
} from './format.ts';

describe('format', () => {
  it('shows a figure that could not be read as "?"', () => {
    expect([count(null), rate(null), bytes(null), duration(null), time(null), count(Number.NaN)]).toEqual(
      Array(6).fill('?'),
    );
  });

  it('writes counts, rates and nouns', () => {
    expect(count(1234567)).toBe('1,234,567');
    expect(rate(41.25)).toBe('41.3/s');
    expect(rate(0)).toBe('0/s');
    expect(plural(1, 'record')).toBe('1 record');
    expect(plural(2000, 'delivery', 'deliveries')).toBe('2,000 deliveries');
  });

  it('writes sizes in binary units', () => {
    expect(bytes(512)).toBe('512 B');
    expect(bytes(1536)).toBe('1.5 KiB');
    expect(bytes(812_000_000)).toBe('774.4 MiB');
    expect(bytes(3 * 1024 ** 4)).toBe('3 TiB');
  });

  it('writes durations in their two largest units', () => {
    expect(duration(850)).toBe('850 ms');
    expect(duration(1830)).toBe('1.8 s');
    expect(duration(303_000)).toBe('5 min 3 s');
    expect(duration(3_723_000)).toBe('1 h 2 min');
    expect(duration(2 * 86_400_000 + 5 * 3_600_000)).toBe('2 d 5 h');
  });

  it('leaves a time it cannot read as it is', () => {
    expect(time('not a date')).toBe('not a date');
    expect(time('2024-05-01T14:03:09')).toBe('14:03:09');
    expect(localInputToIso('')).toBeNull();
    expect(localInputToIso('2024-05-01T14:03:09')).toBe(new Date(2024, 4, 1, 14, 3, 9).toISOString());
  });

  it('dumps bytes as hex with their offset and printable characters', () => {
    const base64 = Buffer.from([0x7b, 0x22, 0x00, 0xff, 0x41]).toString('base64');
    expect(hexDump(base64)).toBe(`00000000  7b 22 00 ff 41${' '.repeat(33)}  {"..A`);
    const long = Buffer.alloc(40, 0x61).toString('base64');
    expect(hexDump(long, 32).split('\n')).toEqual([
      expect.stringMatching(/^00000000 {2}(61 ){15}61 {2}a{16}$/),
      expect.stringMatching(/^00000010 /),
      '… 8 more bytes',
    ]);
  });

  it('turns a decoded value into editable text and a one-line preview', () => {
    const json = { kind: 'json', json: { id: 'a', n: [1, 2] } } as const;
    expect(valueText(json)).toBe('{\n  "id": "a",\n  "n": [\n    1,\n    2\n  ]\n}');
    expect(valuePreview(json)).toBe('{"id":"a","n":[1,2]}');
    expect(
      valueText({ kind: 'bytes', base64: Buffer.from('héllo').toString('base64'), preview: 'h..llo' }),
    ).toBe('héllo');
    expect(valueText({ kind: 'null' })).toBe('');
    expect(valuePreview({ kind: 'text', text: 'a\n  b'.repeat(40) }, 10)).toBe('a ba ba b…');
  });

  it('finds the previous page on 64-bit offsets, never below the low watermark', () => {
    expect(previousOffset('100', '0', 20)).toBe('80');
    expect(previousOffset('10', '5', 20)).toBe('5');
    expect(previousOffset('5', '5', 20)).toBeNull();
    expect(previousOffset('9007199254740993', '0', 1)).toBe('9007199254740992');
  });
});

describe('countedAgo', () => {
  it('says how old a count is when it is older than the reading by more than 2 s', () => {
    expect(countedAgo('2026-01-01T00:00:00.000Z', '2026-01-01T00:00:42.000Z')).toBe('counted 42 s ago');
    expect(countedAgo('2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.500Z')).toBeNull();
    expect(countedAgo(undefined, '2026-01-01T00:00:01.500Z')).toBeNull();
  });
});
