import assert from "node:assert/strict";
import { LineSplitter } from "./_line_splitter.ts";

const encoder = new TextEncoder();

Deno.test("LineSplitter returns only complete lines until the stream ends", () => {
  const splitter = new LineSplitter();
  splitter.push(encoder.encode("ab\ncd"));
  assert.deepEqual(splitter.take(10), ["ab"]);
  assert.equal(splitter.offset, 3);
  assert.deepEqual(splitter.take(10), []);
  splitter.push(encoder.encode("e\r"));
  assert.deepEqual(splitter.take(10), []);
  splitter.push(encoder.encode("\nf"));
  assert.deepEqual(splitter.take(10), ["cde"]);
  assert.equal(splitter.offset, 8);
  assert.equal(splitter.done, false);
  splitter.end();
  assert.deepEqual(splitter.take(10), ["f"]);
  assert.equal(splitter.offset, 9);
  assert.equal(splitter.done, true);
});

Deno.test("LineSplitter takes at most max lines", () => {
  const splitter = new LineSplitter();
  splitter.push(encoder.encode("1\n2\n3\n"));
  assert.deepEqual(splitter.take(2), ["1", "2"]);
  assert.deepEqual(splitter.take(2), ["3"]);
  assert.deepEqual(splitter.take(0), []);
});

Deno.test("LineSplitter reports the offset after each line taken", () => {
  const splitter = new LineSplitter();
  splitter.push(encoder.encode("\ufeffa\r\nbé\n\nc"));
  const ends: number[] = [];
  assert.deepEqual(splitter.take(10, ends), ["a", "bé", ""]);
  assert.deepEqual(ends, [6, 10, 11]);
  splitter.end();
  assert.deepEqual(splitter.take(10, ends), ["c"]);
  assert.deepEqual(ends, [6, 10, 11, 12]);
});

Deno.test("LineSplitter counts offsets from where the stream started", () => {
  const splitter = new LineSplitter({ offset: 100 });
  splitter.push(encoder.encode("\ufeffé\n"));
  // Past offset 0 a BOM is content, not a marker.
  assert.deepEqual(splitter.take(1), ["\ufeffé"]);
  assert.equal(splitter.offset, 106);
});

Deno.test("LineSplitter waits for three bytes before deciding on a BOM", () => {
  const splitter = new LineSplitter();
  const bytes = encoder.encode("\ufeffx\n");
  splitter.push(bytes.subarray(0, 1));
  assert.deepEqual(splitter.take(1), []);
  splitter.push(bytes.subarray(1, 2));
  assert.deepEqual(splitter.take(1), []);
  splitter.push(bytes.subarray(2));
  assert.deepEqual(splitter.take(1), ["x"]);
  assert.equal(splitter.offset, 5);

  const plain = new LineSplitter();
  plain.push(encoder.encode("a"));
  plain.end();
  assert.deepEqual(plain.take(1), ["a"]);

  const kept = new LineSplitter({ skipBom: false });
  kept.push(encoder.encode("\ufeffy\n"));
  assert.deepEqual(kept.take(1), ["\ufeffy"]);
});

Deno.test("LineSplitter decodes multi-byte characters split between pushes", () => {
  const bytes = encoder.encode("ü😀\n€");
  const splitter = new LineSplitter();
  for (const byte of bytes) splitter.push(Uint8Array.of(byte));
  splitter.end();
  assert.deepEqual(splitter.take(5), ["ü😀", "€"]);
  assert.equal(splitter.offset, bytes.length);
});

Deno.test("LineSplitter copies pushed chunks, so callers may reuse their buffer", () => {
  const splitter = new LineSplitter();
  const chunk = encoder.encode("ab");
  splitter.push(chunk);
  chunk.set(encoder.encode("\n\n"));
  splitter.push(chunk);
  assert.deepEqual(splitter.take(5), ["ab", ""]);
  assert.throws(() => {
    splitter.end();
    splitter.push(chunk);
  });
});
