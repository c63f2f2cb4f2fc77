/**
 * What a function's answer means to the event source. An invocation either fails (the function threw, timed
 * out, or could not be reached), or returns a result; with `ReportBatchItemFailures` turned on, a result
 * may name the records that failed by `{"partition": "<topic>-<partition>", "offset": <n>}`.
 */
import { partitionKey, type SourceRecord } from './event.ts';

/** The outcome of one invocation (lib/lambda-invoke.ts makes it). */
export type { InvokeOutcome } from '../../lib/lambda-invoke.ts';

/** What to do with the records of a successful invocation. */
export type PartialResult =
  | { kind: 'all-succeeded' }
  | { kind: 'some-failed'; failed: SourceRecord[] }
  /** A response AWS would not accept; like AWS, the whole batch counts as failed. */
  | { kind: 'invalid'; reason: string };

/**
 * Reads a function's result for the batch it was given.
 *
 * An absent, null or empty `batchItemFailures` means every record succeeded. An identifier that is not an
 * object with a `"topic-partition"` string and an integer offset, or that names a record not in the
 * batch, makes the response invalid.
 *
 * @param payload - the function's result
 * @param batch - the records the invocation carried
 * @param enabled - whether the event source has `functionResponseType: ReportBatchItemFailures`; when it
 *   has not, the result is ignored and the batch succeeded, as on AWS
 */
export function readPartialResult(
  payload: unknown,
  batch: readonly SourceRecord[],
  enabled: boolean,
): PartialResult {
  if (!enabled || typeof payload !== 'object' || payload === null || !('batchItemFailures' in payload)) {
    return { kind: 'all-succeeded' };
  }
  const failures = payload.batchItemFailures;
  if (failures === null || failures === undefined) return { kind: 'all-succeeded' };
  if (!Array.isArray(failures)) return { kind: 'invalid', reason: 'batchItemFailures is not an array' };
  if (failures.length === 0) return { kind: 'all-succeeded' };

  const byId = new Map(batch.map((record) => [`${partitionKey(record)}@${record.offset}`, record]));
  const failed = new Map<string, SourceRecord>();
  for (const [i, failure] of failures.entries()) {
    const id = itemId(failure);
    if (id === undefined) {
      return {
        kind: 'invalid',
        reason: `batchItemFailures[${i}].itemIdentifier is not {"partition": "<topic>-<partition>", "offset": <n>}`,
      };
    }
    const record = byId.get(id);
    if (record === undefined) {
      return { kind: 'invalid', reason: `batchItemFailures[${i}] names ${id}, which is not in the batch` };
    }
    failed.set(id, record);
  }
  // In batch order, so a retry keeps partition order.
  return { kind: 'some-failed', failed: batch.filter((r) => failed.has(`${partitionKey(r)}@${r.offset}`)) };
}

function itemId(failure: unknown): string | undefined {
  if (typeof failure !== 'object' || failure === null || !('itemIdentifier' in failure)) return undefined;
  const id = failure.itemIdentifier;
  if (typeof id !== 'object' || id === null || !('partition' in id) || !('offset' in id)) return undefined;
  const { partition, offset } = id;
  if (typeof partition !== 'string' || partition === '') return undefined;
  const n = typeof offset === 'string' && /^\d+$/.test(offset) ? Number(offset) : offset;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) return undefined;
  return `${partition}@${n}`;
}
