/**
 * How a keyed step takes a batch: key by key, in order of each key's first
 * item in the batch, with all of one key's values together. The runtime's
 * stateful step hands each key's values to its logic in this order, and a
 * window step calls its clock in it, so with one watermark for all keys
 * (`watermarkScope: "partition"`) this order decides which items are late.
 * `windowTimeline` replays a window step with the same function, so the
 * picture cannot drift from the run.
 *
 * @module
 */

/** What a caller keeps per key: at least the key's values in the current batch. */
export interface KeySlot {
  /** The key's values in the last batch it was in, in arrival order. */
  values: unknown[];
  /** The number of that batch. */
  batch: number;
}

/**
 * Groups one batch of `[key, value]` items by key.
 *
 * @param items The batch, in arrival order.
 * @param batch This batch's number: different from every earlier batch's.
 * @param slots Each key's slot, kept across batches; a new key's is added.
 * @param open Makes the slot of a key that has none, given its first item.
 * @param check Called with each item before it is grouped (a shape check).
 * @returns The slots of the batch's keys, in order of each key's first
 *   item, each with `values` set to its values in the batch.
 */
export function groupByKey<S extends KeySlot>(
  items: readonly unknown[],
  batch: number,
  slots: Map<string, S>,
  open: (key: string, item: readonly [string, unknown]) => S,
  check?: (item: unknown) => void,
): S[] {
  const touched: S[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as readonly [string, unknown];
    check?.(item);
    const key = item[0];
    let slot = slots.get(key);
    if (slot === undefined) {
      slot = open(key, item);
      slots.set(key, slot);
    } else if (slot.batch === batch) {
      slot.values.push(item[1]);
      continue;
    }
    slot.batch = batch;
    slot.values = [item[1]];
    touched.push(slot);
  }
  return touched;
}
