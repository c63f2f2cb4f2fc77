import { describe, expect, it } from 'vitest';
import { busEventOf, busName, putEventsAnswer, readPutEvents } from './protocol.ts';

const entry = (fields: Record<string, unknown> = {}) => ({
  Source: 'realtime-user-pipeline',
  DetailType: 'UsersFetched',
  Detail: '{"batchId":"s:1"}',
  ...fields,
});
const body = (...entries: unknown[]) => JSON.stringify({ Entries: entries });

/** The checked entries of a body that must be readable. */
function read(text: string) {
  const result = readPutEvents(text);
  if (!result.ok) throw new Error(`refused: ${result.error.message}`);
  return result.entries;
}

describe('readPutEvents', () => {
  it('accepts valid entries with their source, detail type, parsed detail and bus', () => {
    const [checked] = read(body(entry({ EventBusName: 'orders', Resources: ['arn:x'] })));

    expect(checked).toEqual({
      ok: true,
      entry: {
        source: 'realtime-user-pipeline',
        detailType: 'UsersFetched',
        detail: { batchId: 's:1' },
        busName: 'orders',
        resources: ['arn:x'],
      },
    });
  });

  it.each([
    ['Source', 'Parameter Source is not valid. Reason: Source is a required argument.'],
    ['DetailType', 'Parameter DetailType is not valid. Reason: DetailType is a required argument.'],
    ['Detail', 'Parameter Detail is not valid. Reason: Detail is a required argument.'],
  ])('fails an entry without %s with InvalidArgument, as AWS does', (field, message) => {
    const [checked] = read(body(entry({ [field]: undefined })));

    expect(checked).toEqual({ ok: false, result: { ErrorCode: 'InvalidArgument', ErrorMessage: message } });
  });

  it.each([
    ['not JSON', '{"a":'],
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"text"'],
    ['null', 'null'],
  ])('fails a Detail that is %s with MalformedDetail', (_what, detail) => {
    const [checked] = read(body(entry({ Detail: detail })));

    expect(checked).toEqual({
      ok: false,
      result: { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
    });
  });

  it('checks each entry on its own, in order', () => {
    const checked = read(body(entry(), entry({ Detail: 'x' }), entry({ Source: '' })));

    expect(checked.map((c) => (c.ok ? 'ok' : 'ErrorCode' in c.result ? c.result.ErrorCode : ''))).toEqual([
      'ok',
      'MalformedDetail',
      'InvalidArgument',
    ]);
  });

  it('reads Time as epoch seconds (as the SDK sends a Date) or as an ISO string', () => {
    const [seconds, iso] = read(
      body(entry({ Time: 1_700_000_000 }), entry({ Time: '2024-01-02T03:04:05Z' })),
    );

    expect(seconds?.ok && seconds.entry.time?.toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(iso?.ok && iso.entry.time?.toISOString()).toBe('2024-01-02T03:04:05.000Z');
  });

  it('refuses a request of more than 10 entries, or none, with ValidationException', () => {
    const eleven = readPutEvents(body(...Array.from({ length: 11 }, () => entry())));
    const none = readPutEvents(body());

    expect(eleven).toMatchObject({ ok: false, error: { status: 400, type: 'ValidationException' } });
    expect(eleven.ok ? '' : eleven.error.message).toContain('less than or equal to 10');
    expect(none.ok ? '' : none.error.message).toContain('greater than or equal to 1');
  });

  it('accepts entries of exactly 256 KB together, counted as AWS counts them', () => {
    const source = 'realtime-user-pipeline';
    const detail = (bytes: number) => JSON.stringify({ p: 'x'.repeat(bytes - 8) });
    const half = 128 * 1024 - source.length - 'T'.length;
    const request = body(
      entry({ Source: source, DetailType: 'T', Detail: detail(half) }),
      entry({ Source: source, DetailType: 'T', Detail: detail(half) }),
    );

    expect(readPutEvents(request).ok).toBe(true);
  });

  it('refuses a request whose entries add up to more than 256 KB, whole, as AWS does (there is no per-entry code for size)', () => {
    const big = entry({ Detail: JSON.stringify({ p: 'x'.repeat(200 * 1024) }) });
    const alone = readPutEvents(body(entry({ Detail: JSON.stringify({ p: 'é'.repeat(130 * 1024) }) })));
    const together = readPutEvents(
      body(big, entry({ Detail: JSON.stringify({ p: 'y'.repeat(60 * 1024) }) })),
    );

    for (const result of [alone, together]) {
      expect(result).toEqual({
        ok: false,
        error: {
          status: 400,
          type: 'ValidationException',
          message: 'Total size of the entries in the request is over the limit.',
        },
      });
    }
  });

  it('counts a Time as 14 bytes and each resource towards the size', () => {
    const detail = JSON.stringify({ p: 'x'.repeat(256 * 1024 - 40) });
    const fits = entry({ Source: 's', DetailType: 't', Detail: detail });

    expect(readPutEvents(body(fits)).ok).toBe(true);
    expect(readPutEvents(body({ ...fits, Time: 1, Resources: ['r'.repeat(20)] })).ok).toBe(false);
  });

  it('refuses a body that is not JSON, or a field of the wrong type, with SerializationException', () => {
    expect(readPutEvents('{')).toMatchObject({ ok: false, error: { type: 'SerializationException' } });
    expect(readPutEvents(body(entry({ Detail: { a: 1 } })))).toMatchObject({
      ok: false,
      error: { type: 'SerializationException' },
    });
  });
});

describe('putEventsAnswer', () => {
  it('counts the failed entries and keeps the results in order', () => {
    const answer = putEventsAnswer([
      { EventId: 'a' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { EventId: 'b' },
    ]);

    expect(answer.FailedEntryCount).toBe(1);
    expect(answer.Entries.map((e) => ('EventId' in e ? e.EventId : e.ErrorCode))).toEqual([
      'a',
      'MalformedDetail',
      'b',
    ]);
  });
});

describe('busName', () => {
  it.each([
    [undefined, 'default'],
    ['', 'default'],
    ['orders', 'orders'],
    ['arn:aws:events:eu-west-1:123456789012:event-bus/orders', 'orders'],
    ['arn:aws:events:eu-west-1:123456789012:event-bus/default', 'default'],
  ])('%s is the bus %s', (input, expected) => {
    expect(busName(input)).toBe(expected);
  });
});

describe('busEventOf', () => {
  it("builds EventBridge's envelope, with the time to the second", () => {
    const [checked] = read(body(entry({ Resources: ['arn:r'] })));
    if (!checked?.ok) throw new Error('refused');

    const event = busEventOf(checked.entry, {
      id: 'id-1',
      receivedAt: new Date('2024-05-06T07:08:09.123Z'),
      account: '000000000000',
      region: 'eu-west-1',
    });

    expect(event).toEqual({
      version: '0',
      id: 'id-1',
      'detail-type': 'UsersFetched',
      source: 'realtime-user-pipeline',
      account: '000000000000',
      time: '2024-05-06T07:08:09Z',
      region: 'eu-west-1',
      resources: ['arn:r'],
      detail: { batchId: 's:1' },
    });
  });

  it("uses the entry's own Time when it gave one", () => {
    const [checked] = read(body(entry({ Time: 1_700_000_000 })));
    if (!checked?.ok) throw new Error('refused');

    const event = busEventOf(checked.entry, { id: 'i', receivedAt: new Date(0), account: 'a', region: 'r' });

    expect(event.time).toBe('2023-11-14T22:13:20Z');
  });
});
