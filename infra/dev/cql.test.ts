import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { formatCell, formatResult } from './cql.ts';

describe('formatCell', () => {
  it('prints CQL values as cqlsh would, roughly', () => {
    const id = cassandra.types.Uuid.fromString('4ff9982a-3103-49ee-acc8-cf769f99ac3a');

    expect(formatCell(id)).toBe('4ff9982a-3103-49ee-acc8-cf769f99ac3a');
    expect(formatCell(cassandra.types.Long.fromNumber(1000))).toBe('1000');
    expect(formatCell(new Date('1972-09-09T02:11:54.528Z'))).toBe('1972-09-09T02:11:54.528Z');
    expect(formatCell(null)).toBe('null');
    expect(formatCell(Buffer.from([1, 255]))).toBe('0x01ff');
    expect(formatCell({ a: 1 })).toBe('{"a":1}');
    expect(formatCell('سارا')).toBe('سارا');
  });
});

describe('formatResult', () => {
  it('renders a table with a row count', () => {
    expect(formatResult(['id', 'n'], [{ id: 'a', n: 1 }])).toBe('id  n\n--  -\na   1\n(1 row)');
  });

  it('says so when the statement returns no rows', () => {
    expect(formatResult([], [])).toBe('done (the statement returns no rows)');
  });
});
