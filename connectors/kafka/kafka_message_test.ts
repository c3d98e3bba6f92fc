import assert from "node:assert/strict";
import fc from "fast-check";
import { jsonDeserializer, KafkaSourceError, stringDeserializer } from "./mod.ts";

const encoder = new TextEncoder();

Deno.test("stringDeserializer() gives back any string's UTF-8, short ASCII or not", () => {
  fc.assert(fc.property(fc.string({ unit: "grapheme", maxLength: 80 }), (text) => {
    assert.equal(stringDeserializer(encoder.encode(text)), text);
  }));
  fc.assert(fc.property(fc.string({ unit: "grapheme-ascii", maxLength: 40 }), (text) => {
    assert.equal(stringDeserializer(encoder.encode(text)), text);
  }));
  assert.equal(stringDeserializer(new Uint8Array()), "");
});

Deno.test("stringDeserializer() rejects bytes that are not UTF-8, short or long", () => {
  for (const length of [1, 5, 32, 33, 100]) {
    const bytes = new Uint8Array(length).fill(0x61);
    bytes[length - 1] = 0xff;
    assert.throws(() => stringDeserializer(bytes), TypeError, `length ${length}`);
  }
});

Deno.test("jsonDeserializer() parses JSON and names what is wrong with the rest", () => {
  assert.deepEqual(jsonDeserializer(encoder.encode('[1,"é",{"a":null}]')), [1, "é", { a: null }]);
  assert.throws(() => jsonDeserializer(encoder.encode("{oops")), SyntaxError);
  assert.throws(() => jsonDeserializer(new Uint8Array([0x22, 0xff, 0x22])), TypeError);
});

Deno.test("KafkaSourceError keeps the raw message and names where it was", () => {
  const raw = {
    key: encoder.encode("k"),
    value: encoder.encode("v"),
    topic: "orders",
    partition: 3,
    offset: 99,
    timestamp: 1,
    headers: [],
  };
  const cause = new Error("bad key");
  const error = new KafkaSourceError(raw, "key", cause);
  assert.equal(
    error.message,
    'Cannot deserialize the key of Kafka topic "orders" partition 3 offset 99: bad key',
  );
  assert.equal(error.name, "KafkaSourceError");
  assert.equal(error.cause, cause);
  assert.equal(error.raw, raw);
  assert.equal(error.part, "key");
});
