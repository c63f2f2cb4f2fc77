/**
 * Packing items, in order, into consecutive groups that each stay within a byte limit (and optionally an
 * item count): UsersFetched details within an EventBridge entry, entries within a PutEvents call, records
 * within a Kafka produce request, records within a Lambda invocation's payload. Each caller measures its items
 * its own way; the arithmetic is here once.
 */

/** The bounds of one group. */
export interface PackLimits {
  /** Bytes a group may take, its `baseBytes` included. */
  maxBytes: number;
  /** Items a group may hold; unlimited when unset. */
  maxItems?: number;
  /** Bytes of an empty group: the envelope the items go into. */
  baseBytes?: number;
  /** Bytes between two neighbouring items, such as the comma between JSON array elements. */
  separatorBytes?: number;
}

/**
 * How many of `items`, from `start` on, fit in one group. 0 means the item at `start` does not fit even alone
 * (or there is none).
 *
 * @param sizeOf - an item's bytes, separators excluded
 */
export function fitCount<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  limits: PackLimits,
  start = 0,
): number {
  const { maxBytes, maxItems = Number.POSITIVE_INFINITY, baseBytes = 0, separatorBytes = 0 } = limits;
  let bytes = baseBytes;
  let count = 0;
  for (let i = start; i < items.length && count < maxItems; i++) {
    const size = sizeOf(items[i] as T) + (count === 0 ? 0 : separatorBytes);
    if (bytes + size > maxBytes) break;
    bytes += size;
    count++;
  }
  return count;
}

/**
 * Cuts `items` into consecutive groups within `limits`, keeping their order. An item too large for any group
 * on its own is set aside in `oversized` and does not end the group it would have joined.
 *
 * @param sizeOf - an item's bytes, separators excluded
 */
export function packBySize<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  limits: PackLimits,
): { packs: T[][]; oversized: T[] } {
  const sized = items.map((item) => ({ item, size: sizeOf(item) }));
  const fits = (entry: { size: number }) => (limits.baseBytes ?? 0) + entry.size <= limits.maxBytes;
  const packable = sized.filter(fits);
  const packs: T[][] = [];
  for (let start = 0; start < packable.length; ) {
    // At least 1: every packable item fits a group alone.
    const count = Math.max(
      1,
      fitCount(packable, (entry) => entry.size, limits, start),
    );
    packs.push(packable.slice(start, start + count).map((entry) => entry.item));
    start += count;
  }
  return { packs, oversized: sized.filter((entry) => !fits(entry)).map((entry) => entry.item) };
}
