import type { PutEventsCommand, PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import {
  createEventPublisher,
  EventTooLargeError,
  entrySize,
  groupIntoCalls,
  PutEventsError,
  putEventsLimits,
} from './eventbridge.ts';
import { RetriesExhaustedError } from './retry.ts';

const instantClock = { now: () => 0, sleep: async () => undefined, random: () => 0 };

/** A fake SDK client: `answer` decides each entry's fate; every call's entries are recorded. */
function fakeClient(answer: (call: number, index: number) => string | undefined) {
  const calls: {
    Detail?: string | undefined;
    DetailType?: string | undefined;
    Source?: string | undefined;
    EventBusName?: string | undefined;
  }[][] = [];
  return {
    calls,
    async send(command: PutEventsCommand): Promise<PutEventsCommandOutput> {
      const entries = command.input.Entries ?? [];
      calls.push(entries);
      const results = entries.map((_, i) => {
        const code = answer(calls.length, i);
        return code ? { ErrorCode: code, ErrorMessage: 'nope' } : { EventId: `e${calls.length}-${i}` };
      });
      return {
        $metadata: {},
        FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length,
        Entries: results,
      };
    },
  };
}

describe('entrySize', () => {
  it('counts the UTF-8 bytes of source, detail type and detail', () => {
    expect(entrySize('src', 'Type', '{"a":"é"}')).toBe(3 + 4 + 10);
  });
});

describe('groupIntoCalls', () => {
  it('puts at most 10 entries in a call', () => {
    const items = Array.from({ length: 25 }, () => ({ size: 10 }));

    expect(groupIntoCalls(items).map((call) => call.length)).toEqual([10, 10, 5]);
  });

  it('keeps every call within 256 KB', () => {
    const items = Array.from({ length: 7 }, () => ({ size: 100 * 1024 }));

    const calls = groupIntoCalls(items);

    expect(calls.map((call) => call.length)).toEqual([2, 2, 2, 1]);
    for (const call of calls)
      expect(call.reduce((sum, i) => sum + i.size, 0)).toBeLessThanOrEqual(putEventsLimits.maxBytes);
  });

  it('refuses an entry that alone is over the limit', () => {
    expect(() => groupIntoCalls([{ size: putEventsLimits.maxBytes + 1 }])).toThrow(EventTooLargeError);
  });
});

describe('createEventPublisher', () => {
  it('sends entries in calls of at most 10, on the configured bus and source', async () => {
    const client = fakeClient(() => undefined);
    const publisher = createEventPublisher({ client, busName: 'bus', source: 'src', clock: instantClock });

    const result = await publisher.publish(
      Array.from({ length: 12 }, (_, i) => ({ detailType: 'T', detail: { i } })),
    );

    expect(result.calls).toBe(2);
    expect(client.calls.map((c) => c.length)).toEqual([10, 2]);
    expect(client.calls[0]?.[3]).toEqual({
      Source: 'src',
      DetailType: 'T',
      Detail: '{"i":3}',
      EventBusName: 'bus',
    });
  });

  it('retries only the entries that failed when FailedEntryCount > 0', async () => {
    const client = fakeClient((call, index) =>
      call === 1 && (index === 1 || index === 3) ? 'ThrottlingException' : undefined,
    );
    const publisher = createEventPublisher({ client, busName: 'bus', source: 'src', clock: instantClock });

    await publisher.publish(Array.from({ length: 5 }, (_, i) => ({ detailType: 'T', detail: { i } })));

    expect(client.calls.map((c) => c.map((e) => e.Detail))).toEqual([
      ['{"i":0}', '{"i":1}', '{"i":2}', '{"i":3}', '{"i":4}'],
      ['{"i":1}', '{"i":3}'],
    ]);
  });

  it('gives up with a retryable error when entries keep failing', async () => {
    const client = fakeClient(() => 'InternalFailure');
    const publisher = createEventPublisher({
      client,
      busName: 'bus',
      source: 'src',
      clock: instantClock,
      policy: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
    });

    const error = await publisher.publish([{ detailType: 'T', detail: {} }]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(error).toMatchObject({ retryable: true, cause: expect.any(PutEventsError) });
    expect(client.calls).toHaveLength(3);
  });

  it('does not retry entries EventBridge calls malformed', async () => {
    const client = fakeClient(() => 'MalformedDetail');
    const publisher = createEventPublisher({ client, busName: 'bus', source: 'src', clock: instantClock });

    await expect(publisher.publish([{ detailType: 'T', detail: {} }])).rejects.toMatchObject({
      name: 'PutEventsError',
      retryable: false,
    });
    expect(client.calls).toHaveLength(1);
  });

  it('wraps a failed call in a transient error', async () => {
    const publisher = createEventPublisher({
      client: {
        send: async () => {
          throw new Error('socket hang up');
        },
      },
      busName: 'bus',
      source: 'src',
      clock: instantClock,
      policy: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
    });

    await expect(publisher.publish([{ detailType: 'T', detail: {} }])).rejects.toMatchObject({
      retryable: true,
      code: 'EVENTBRIDGE_UNAVAILABLE',
    });
  });
});
