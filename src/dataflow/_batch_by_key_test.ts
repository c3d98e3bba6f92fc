import assert from "node:assert/strict";
import { groupByKey, type KeySlot } from "./_batch_by_key.ts";

interface Slot extends KeySlot {
  readonly key: string;
}

const open = (key: string): Slot => ({ key, values: [], batch: 0 });

Deno.test("groupByKey() takes keys in order of first item, each key's values together", () => {
  const slots = new Map<string, Slot>();
  const touched = groupByKey([["b", 1], ["a", 2], ["b", 3], ["c", 4], ["a", 5]], 1, slots, open);
  assert.deepEqual(touched.map((s) => [s.key, s.values]), [["b", [1, 3]], ["a", [2, 5]], ["c", [
    4,
  ]]]);
  assert.deepEqual([...slots.keys()], ["b", "a", "c"]);
});

Deno.test("groupByKey() reuses a key's slot in later batches, with only that batch's values", () => {
  const slots = new Map<string, Slot>();
  let opened = 0;
  const counting = (key: string) => (opened++, open(key));
  const first = groupByKey([["a", 1], ["b", 2]], 1, slots, counting);
  const second = groupByKey([["b", 3], ["a", 4], ["b", 5]], 2, slots, counting);
  assert.equal(opened, 2);
  assert.equal(second[1], first[0]);
  assert.deepEqual(second.map((s) => [s.key, s.values, s.batch]), [["b", [3, 5], 2], [
    "a",
    [4],
    2,
  ]]);
  assert.deepEqual(groupByKey([], 3, slots, counting), []);
});

Deno.test("groupByKey() checks each item before grouping it", () => {
  const seen: unknown[] = [];
  const check = (item: unknown) => {
    seen.push(item);
    if (!Array.isArray(item)) throw new TypeError(`not a pair: ${item}`);
  };
  const slots = new Map<string, Slot>();
  assert.throws(() => groupByKey([["a", 1], 7, ["b", 2]], 1, slots, open, check), {
    name: "TypeError",
    message: "not a pair: 7",
  });
  assert.deepEqual(seen, [["a", 1], 7]);
});
