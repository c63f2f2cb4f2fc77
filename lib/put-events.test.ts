import { describe, expect, it } from 'vitest';
import { putEventsEntrySize } from './put-events.ts';

describe('putEventsEntrySize', () => {
  it('counts the UTF-8 bytes of the source, detail type and detail', () => {
    expect(putEventsEntrySize({ Source: 'src', DetailType: 'Type', Detail: '{"a":"é"}' })).toBe(3 + 4 + 10);
  });

  it('adds 14 bytes for a Time and the bytes of each resource', () => {
    const entry = {
      Source: 's',
      DetailType: 't',
      Detail: '{}',
      Time: new Date(0),
      Resources: ['arn:a', 'ü'],
    };

    expect(putEventsEntrySize(entry)).toBe(1 + 1 + 2 + 14 + 5 + 2);
  });

  it('counts nothing for fields that are not there', () => {
    expect(putEventsEntrySize({})).toBe(0);
  });
});
