import assert from "node:assert/strict";
import { formatValue } from "./_format.ts";

/** How `StdOutSink` prints an item. */
const formatItem = (item: unknown) => formatValue(item, { style: "literal", bareStrings: true });

Deno.test("formatValue() literal style prints strings as they are", () => {
  assert.equal(formatItem("hello"), "hello");
  assert.equal(formatItem(""), "");
  assert.equal(formatItem('say "hi"'), 'say "hi"');
});

Deno.test("formatValue() literal style prints tuples and arrays as literals", () => {
  assert.equal(formatItem(["to", 4]), '["to", 4]');
  assert.equal(formatItem([]), "[]");
  assert.equal(formatItem([["a", [1, 2]], null, undefined]), '[["a", [1, 2]], null, undefined]');
  assert.equal(formatItem(["line\nbreak"]), '["line\\nbreak"]');
});

Deno.test("formatValue() literal style prints primitives like JavaScript literals", () => {
  assert.equal(formatItem(4), "4");
  assert.equal(formatItem(-0), "-0");
  assert.equal(formatItem(NaN), "NaN");
  assert.equal(formatItem(12n), "12n");
  assert.equal(formatItem(true), "true");
  assert.equal(formatItem(null), "null");
  assert.equal(formatItem(undefined), "undefined");
  assert.equal(formatItem(Symbol("s")), "Symbol(s)");
  assert.equal(formatItem(function named() {}), "[function named]");
});

Deno.test("formatValue() literal style prints objects with identifier keys bare and others quoted", () => {
  assert.equal(formatItem({ word: "to", count: 4 }), '{ word: "to", count: 4 }');
  assert.equal(formatItem({}), "{}");
  assert.equal(formatItem({ "a b": 1, $ok: { _x: [] } }), '{ "a b": 1, $ok: { _x: [] } }');
  class Point {
    constructor(public x: number, public y: number) {}
  }
  assert.equal(formatItem(new Point(1, 2)), "Point { x: 1, y: 2 }");
  assert.equal(formatItem(Object.create(null)), "{}");
});

Deno.test("formatValue() literal style prints built-in objects readably", () => {
  assert.equal(formatItem(new Date(Date.UTC(2024, 0, 2, 3, 4, 5))), "2024-01-02T03:04:05.000Z");
  assert.equal(formatItem(new Date(NaN)), "Invalid Date");
  assert.equal(formatItem(new RangeError("bad")), "RangeError: bad");
  assert.equal(formatItem(new Map([["a", 1]])), 'Map(1) { "a" => 1 }');
  assert.equal(formatItem(new Set([1, "b"])), 'Set(2) { 1, "b" }');
  assert.equal(formatItem(new Uint8Array([1, 2])), "Uint8Array(2) [1, 2]");
  assert.equal(formatItem(/a+/g), "/a+/g");
  assert.equal(formatItem(new URL("https://example.com/x")), "https://example.com/x");
});

Deno.test("formatValue() literal style survives cycles and throwing getters", () => {
  const cyclic: Record<string, unknown> = { name: "loop" };
  cyclic.self = cyclic;
  assert.equal(formatItem(cyclic), '{ name: "loop", self: [Circular] }');
  const shared = [1];
  assert.equal(formatItem([shared, shared]), "[[1], [1]]");
  const hostile = {
    get boom(): never {
      throw new Error("no");
    },
  };
  assert.equal(formatItem(hostile), "[object Object]");
});

Deno.test("formatValue() json style prints as error messages do, cut at maxChars", () => {
  const describe = (value: unknown) => formatValue(value, { maxChars: 200 });
  assert.equal(describe("hi"), '"hi"');
  assert.equal(describe({ id: 7, tags: ["a"] }), '{"id":7,"tags":["a"]}');
  assert.equal(describe({ n: 12n }), '{"n":"12n"}');
  assert.equal(describe(undefined), "undefined");
  assert.equal(describe(12n), "12n");
  assert.equal(describe(NaN), "null");
  assert.equal(describe(function named() {}), "[function named]");
  assert.equal(describe(new Date(0)), "Date(1970-01-01T00:00:00.000Z)");
  assert.equal(describe(new Date(NaN)), "[object Date]");
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.equal(describe(cyclic), "[object Object]");
  assert.equal(describe("x".repeat(500)), `"${"x".repeat(199)}…`);
  assert.equal(formatValue("x".repeat(500)).length, 502);
  assert.equal(formatValue("plain", { bareStrings: true }), "plain");
});
