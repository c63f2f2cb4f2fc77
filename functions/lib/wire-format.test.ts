import { describe, expect, it } from 'vitest';
import { frameValue, readValue, wireHeaderBytes } from './wire-format.ts';

describe('frameValue', () => {
  it('puts the magic byte 0 and the id, 4 bytes big-endian, before the JSON text', () => {
    const framed = frameValue(0x01020304, '{"a":1}');

    expect([...framed.subarray(0, wireHeaderBytes)]).toEqual([0, 1, 2, 3, 4]);
    expect(framed.subarray(wireHeaderBytes).toString('utf8')).toBe('{"a":1}');
  });

  it.each([0, -1, 1.5, 2 ** 31])('refuses %s, which is no registry id', (id) => {
    expect(() => frameValue(id, '{}')).toThrow(RangeError);
  });
});

describe('readValue', () => {
  it('reads back the id and the payload of a framed value', () => {
    const read = readValue(frameValue(42, '{"id":"x"}'));

    expect(read.format).toBe('confluent');
    if (read.format !== 'confluent') return;
    expect(read.schemaId).toBe(42);
    expect(read.payload.toString('utf8')).toBe('{"id":"x"}');
  });

  it.each([
    ['a JSON object', '{"a":1}'],
    ['JSON text with leading white space', ' \n{"a":1}'],
    ['nothing', ''],
  ])('takes %s as plain JSON, bytes untouched', (_, text) => {
    const bytes = Buffer.from(text);

    expect(readValue(bytes)).toEqual({ format: 'plain', payload: bytes });
  });

  it('takes a framed value with an empty payload as framed, for the JSON parser to refuse', () => {
    expect(readValue(Buffer.from([0, 0, 0, 0, 1]))).toEqual({
      format: 'confluent',
      schemaId: 1,
      payload: Buffer.alloc(0),
    });
  });

  it.each([1, 2, 4])('says a value of %s bytes that starts with byte 0 has a broken header', (length) => {
    const read = readValue(Buffer.alloc(length));

    expect(read.format).toBe('broken');
    if (read.format !== 'broken') return;
    expect(read.problem).toContain(`has ${length} bytes, fewer than its 5-byte header`);
  });
});
