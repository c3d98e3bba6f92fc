import assert from "node:assert/strict";
import { stableHash } from "./stable_hash.ts";

function referenceHash(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash = Math.imul(hash ^ byte, 0x01000193);
  }
  return hash >>> 0;
}

Deno.test("stableHash() matches the published FNV-1a 32-bit test vectors", () => {
  assert.equal(stableHash(""), 0x811c9dc5);
  assert.equal(stableHash("a"), 0xe40c292c);
  assert.equal(stableHash("foobar"), 0xbf9cf968);
});

Deno.test("stableHash() hashes the UTF-8 bytes of non-ASCII text", () => {
  // "é" is C3 A9, "€" is E2 82 AC, "😀" is F0 9F 98 80.
  for (const text of ["é", "€", "😀", "naïve café", "日本語のキー", "a😀b€c"]) {
    assert.equal(stableHash(text), referenceHash(text), text);
  }
});

Deno.test("stableHash() hashes lone surrogates as U+FFFD, like TextEncoder", () => {
  for (const text of ["\ud800", "a\udc00b", "\ud83d", "x\ud83d", "\ude00\ud83d"]) {
    assert.equal(stableHash(text), referenceHash(text), JSON.stringify(text));
    assert.equal(stableHash(text), stableHash(text.replace(/[\ud800-\udfff]/g, "\ufffd")));
  }
});

Deno.test("stableHash() returns unsigned 32-bit integers that agree with the byte reference", () => {
  let seed = 1;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < 2000; i++) {
    let text = "";
    const length = Math.floor(random() * 12);
    for (let j = 0; j < length; j++) text += String.fromCharCode(Math.floor(random() * 0x10000));
    const hash = stableHash(text);
    assert.ok(Number.isInteger(hash) && hash >= 0 && hash < 2 ** 32);
    assert.equal(hash, referenceHash(text));
  }
});

Deno.test("stableHash() keeps known keys on the same worker across runs", () => {
  // Frozen values: changing the function would re-route state written by earlier runs.
  assert.deepEqual(["user-1", "apple", "banana", "cherry"].map(stableHash), [
    4115888500,
    280767167,
    3649609552,
    1232791672,
  ]);
});
