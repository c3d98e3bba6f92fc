import assert from "node:assert/strict";
import { StepError } from "../../dataflow/errors.ts";
import { UnencodableItemError } from "./codec.ts";
import { decodeError, encodeError } from "./error_codec.ts";

// What crosses a thread: the structured clone of the encoded error.
const across = (error: unknown) => decodeError(structuredClone(encodeError(error)));

Deno.test("decodeError(encodeError()) rebuilds a StepError with its step, key, item and cause", () => {
  const cause = new RangeError("too big");
  const item = { n: 1, when: new Date(0), tags: new Set(["a"]) };
  const original = new StepError("f.sum", "mapper threw", { key: "eu", item, cause });
  const error = across(original);
  assert.ok(error instanceof StepError);
  assert.equal(error.message, original.message);
  assert.equal(error.name, "StepError");
  assert.equal(error.stack, original.stack);
  assert.equal(error.stepId, "f.sum");
  assert.equal(error.key, "eu");
  assert.deepEqual(error.item, item);
  assert.ok(error.cause instanceof RangeError);
  assert.equal((error.cause as Error).message, "too big");
});

Deno.test("decodeError(encodeError()) keeps an item that cannot be cloned as its description", () => {
  const original = new StepError("f.map", "mapper threw", { item: { f: () => 1 } });
  const error = across(original) as StepError;
  assert.equal(error.item, describe({ f: () => 1 }));
  assert.equal(error.message, original.message);
});

function describe(value: unknown): string {
  return String(new StepError("x", "y", { item: value }).message.split("; item ")[1]);
}

Deno.test("decodeError(encodeError()) keeps the class of built-in errors, runnel's own and the name of others", () => {
  class QuotaError extends Error {
    override name = "QuotaError";
  }
  const type = across(new TypeError("bad"));
  assert.ok(type instanceof TypeError);
  assert.equal((type as Error).message, "bad");
  const unencodable = across(new UnencodableItemError("f.s", "k", "[1].f", "a function"));
  assert.ok(unencodable instanceof UnencodableItemError);
  assert.equal(unencodable.stepId, "f.s");
  assert.equal(unencodable.key, "k");
  assert.equal(unencodable.path, "[1].f");
  const quota = across(new QuotaError("over", { cause: "limit" })) as Error;
  assert.equal(quota.name, "QuotaError");
  assert.equal(quota.message, "over");
  assert.equal(quota.cause, "limit");
  // A thrown value that is not an error comes back as it was.
  assert.deepEqual(across({ code: 7 }), { code: 7 });
});
