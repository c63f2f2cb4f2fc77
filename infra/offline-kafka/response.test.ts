import { describe, expect, it } from 'vitest';
import { sourceRecord, sourceRecords } from '../../test/helpers/source-records.ts';
import { readPartialResult } from './response.ts';

const batch = sourceRecords(4, 10);

function failure(partition: unknown, offset: unknown) {
  return { itemIdentifier: { partition, offset } };
}

describe('readPartialResult', () => {
  it('counts every record as succeeded when ReportBatchItemFailures is off, whatever the function said', () => {
    const payload = { batchItemFailures: [failure('users_created-0', 10)] };

    expect(readPartialResult(payload, batch, false)).toEqual({ kind: 'all-succeeded' });
    expect(readPartialResult({ batchItemFailures: 'garbage' }, batch, false)).toEqual({
      kind: 'all-succeeded',
    });
  });

  it.each([
    ['no payload', undefined],
    ['a null payload', null],
    ['a string payload', 'done'],
    ['an empty object', {}],
    ['a null batchItemFailures', { batchItemFailures: null }],
    ['an empty batchItemFailures', { batchItemFailures: [] }],
  ])('counts every record as succeeded for %s', (_, payload) => {
    expect(readPartialResult(payload, batch, true)).toEqual({ kind: 'all-succeeded' });
  });

  it('returns the failed records in batch order, whatever order the function named them in', () => {
    const payload = { batchItemFailures: [failure('users_created-0', 13), failure('users_created-0', 11)] };

    const result = readPartialResult(payload, batch, true);

    expect(result.kind).toBe('some-failed');
    if (result.kind !== 'some-failed') return;
    expect(result.failed.map((r) => r.offset)).toEqual([11, 13]);
    expect(result.failed[0]).toBe(batch[1]);
  });

  it('accepts an offset written as a numeric string, and a record named twice once', () => {
    const payload = { batchItemFailures: [failure('users_created-0', '12'), failure('users_created-0', 12)] };

    const result = readPartialResult(payload, batch, true);

    expect(result).toEqual({ kind: 'some-failed', failed: [batch[2]] });
  });

  it('tells records of different partitions apart', () => {
    const mixed = [sourceRecord({ partition: 0, offset: 5 }), sourceRecord({ partition: 1, offset: 5 })];

    const result = readPartialResult({ batchItemFailures: [failure('users_created-1', 5)] }, mixed, true);

    expect(result).toEqual({ kind: 'some-failed', failed: [mixed[1]] });
  });

  it('finds records of a topic with dashes in its name', () => {
    const dashed = sourceRecords(2, 0, { topic: 'users-created', partition: 3 });

    const result = readPartialResult({ batchItemFailures: [failure('users-created-3', 1)] }, dashed, true);

    expect(result).toEqual({ kind: 'some-failed', failed: [dashed[1]] });
  });

  it.each([
    ['an identifier that is not an object', [{ itemIdentifier: '12' }]],
    ['an entry with no itemIdentifier', [{ id: 12 }]],
    ['an entry that is null', [null]],
    ['a null identifier', [{ itemIdentifier: null }]],
    ['an empty partition', [failure('', 12)]],
    ['a numeric partition', [failure(0, 12)]],
    ['a missing offset', [{ itemIdentifier: { partition: 'users_created-0' } }]],
    ['a negative offset', [failure('users_created-0', -1)]],
    ['a fractional offset', [failure('users_created-0', 1.5)]],
    ['a non-numeric offset string', [failure('users_created-0', '12a')]],
    ['an empty offset string', [failure('users_created-0', '')]],
  ])('makes the response invalid for %s', (_, failures) => {
    const result = readPartialResult({ batchItemFailures: failures }, batch, true);

    expect(result.kind).toBe('invalid');
    if (result.kind !== 'invalid') return;
    expect(result.reason).toBe(
      'batchItemFailures[0].itemIdentifier is not {"partition": "<topic>-<partition>", "offset": <n>}',
    );
  });

  it('makes the response invalid when it names a record not in the batch', () => {
    const payload = { batchItemFailures: [failure('users_created-0', 11), failure('users_created-0', 99)] };

    expect(readPartialResult(payload, batch, true)).toEqual({
      kind: 'invalid',
      reason: 'batchItemFailures[1] names users_created-0@99, which is not in the batch',
    });
    expect(readPartialResult({ batchItemFailures: [failure('users_created-7', 11)] }, batch, true).kind).toBe(
      'invalid',
    );
  });

  it('makes the response invalid when batchItemFailures is not an array', () => {
    expect(
      readPartialResult({ batchItemFailures: { partition: 'users_created-0', offset: 10 } }, batch, true),
    ).toEqual({ kind: 'invalid', reason: 'batchItemFailures is not an array' });
    expect(readPartialResult({ batchItemFailures: 'all' }, batch, true).kind).toBe('invalid');
  });
});
