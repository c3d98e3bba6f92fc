/**
 * The one binary codec for what crosses workers: batches of items on a
 * channel (and, later, the same bytes on sockets and in snapshots).
 *
 * What crosses workers: plain objects, arrays, strings, numbers (±Infinity and
 * NaN included), booleans, `null`, `undefined`, `Date`, `Map`, `Set`,
 * `Uint8Array` and `bigint`, nested in any way. Anything else (a function, a
 * `Symbol`, an instance of a class other than those) is refused with an
 * {@linkcode UnencodableItemError} naming the step, the key and the path
 * inside the value, rather than arriving altered (a class instance would lose
 * its methods).
 *
 * Why cbor-x rather than `structuredClone` (what `postMessage` does by
 * itself): it gives bytes, which a socket or a snapshot can reuse, and it is
 * faster here. Encoding and decoding a batch of 1,024
 * `[string, { n, s, xs }]` items took 1.6 ms on Deno, 0.77 ms on Node and
 * 0.91 ms on Bun, against 2.1, 2.2 and 3.3 ms for one `structuredClone` of
 * the batch (one run each on a loaded 2-core machine). Records (its packed
 * form of objects of one shape) keep repeated shapes small. Each encoded batch
 * is self-contained (its record definitions travel with it), so a decoder
 * needs no state of the encoder. A batch of `[key, value]` pairs travels as
 * its values (one CBOR array) and its keys (UTF-8) side by side, not as an
 * array per pair; a short ASCII key that arrived before arrives as the same
 * string again, which a keyed step looks up faster than a new one.
 *
 * @module
 */

// The pure-JS entry: the package root loads an optional native string extractor on Node and
// Bun, which misdecodes on Bun; one code path behaves the same in every runtime.
import { Encoder } from "cbor-x/encode";
import { describeValue } from "../../dataflow/errors.ts";

// mapsAsObjects: false keeps a Map a Map (plain objects travel as records, so they stay objects).
const encoder = new Encoder({ mapsAsObjects: false });

/**
 * An item cannot cross workers: it holds a value the codec does not carry.
 */
export class UnencodableItemError extends TypeError {
  /** The step whose input the item was on its way to. */
  readonly stepId: string;
  /** The item's key, when it is keyed. */
  readonly key: string | undefined;
  /** Where inside the item the refused value is, such as `"[1].fn"`. */
  readonly path: string;

  /**
   * @param stepId The step whose input the item was on its way to.
   * @param key The item's key, when it is keyed.
   * @param path Where inside the item the refused value is.
   * @param what What the refused value is, such as `"a function"`.
   */
  constructor(stepId: string, key: string | undefined, path: string, what: string) {
    const keyPart = key === undefined ? "" : `key ${describeValue(key)}, `;
    super(
      `Cannot send an item of step "${stepId}" to another worker: ${keyPart}item${path} is ${what}; ` +
        "only plain objects, arrays, strings, numbers, booleans, null, undefined, Date, Map, Set, " +
        "Uint8Array and bigint cross workers",
    );
    this.name = "UnencodableItemError";
    this.stepId = stepId;
    this.key = key;
    this.path = path;
  }
}

const PLAIN_PROTOTYPES = new Set<unknown>([Object.prototype, null]);

/**
 * Where inside `value` a value that cannot cross workers is, and what it is;
 * `undefined` when all of it can cross.
 *
 * @param value The value to check.
 * @param path The path of `value` itself, such as `"[1]"`.
 * @returns The offending path and a description, or `undefined`.
 */
export function findUnencodable(
  value: unknown,
  path = "",
): { path: string; what: string } | undefined {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
    case "undefined":
    case "bigint":
      return undefined;
    case "function":
      return { path, what: "a function" };
    case "symbol":
      return { path, what: "a Symbol" };
  }
  if (value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnencodable(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value instanceof Date || value instanceof Uint8Array) return undefined;
  if (value instanceof Map) {
    for (const [key, entry] of value) {
      const found = findUnencodable(key, `${path}.<key ${describeValue(key)}>`) ??
        findUnencodable(entry, `${path}.get(${describeValue(key)})`);
      if (found) return found;
    }
    return undefined;
  }
  if (value instanceof Set) {
    let i = 0;
    for (const entry of value) {
      const found = findUnencodable(entry, `${path}.<entry ${i++}>`);
      if (found) return found;
    }
    return undefined;
  }
  const proto = Object.getPrototypeOf(value);
  if (!PLAIN_PROTOTYPES.has(proto)) {
    const name = (proto?.constructor as { name?: string } | undefined)?.name;
    return { path, what: `an instance of class ${name || "(anonymous)"}` };
  }
  for (const symbol of Object.getOwnPropertySymbols(value)) {
    return { path: `${path}[${String(symbol)}]`, what: "a Symbol-keyed property" };
  }
  for (const key in value) {
    const found = findUnencodable((value as Record<string, unknown>)[key], `${path}.${key}`);
    if (found) return found;
  }
  return undefined;
}

/**
 * Encodes a batch of items for another worker.
 *
 * @param stepId The step the batch goes to, for errors.
 * @param batch The items; `[key, value]` pairs when `keyed`.
 * @param keyed Whether items are `[key, value]` pairs (so errors name the key).
 * @returns The bytes.
 * @throws {UnencodableItemError} When an item holds a value that cannot cross.
 */
export function encodeBatch(stepId: string, batch: readonly unknown[], keyed: boolean): Uint8Array {
  let pairs = keyed;
  for (let i = 0; i < batch.length; i++) {
    const item = batch[i];
    if (keyed && Array.isArray(item) && item.length === 2 && typeof item[0] === "string") {
      const found = findUnencodable(item[1], "[1]");
      if (found) throw new UnencodableItemError(stepId, item[0], found.path, found.what);
      continue;
    }
    pairs = false;
    const found = findUnencodable(item);
    if (found) throw new UnencodableItemError(stepId, undefined, found.path, found.what);
  }
  return pairs ? encodePairs(batch as readonly [string, unknown][]) : encoder.encode(batch);
}

/**
 * Decodes a batch made by {@linkcode encodeBatch}.
 *
 * @param bytes The bytes.
 * @returns The items.
 */
export function decodeBatch(bytes: Uint8Array): unknown[] {
  return bytes[0] === PAIRS ? decodePairs(bytes) : encoder.decode(bytes) as unknown[];
}

// A batch of [key, value] pairs is laid out as: this byte (a batch of other items is one CBOR
// array, whose first byte is never 0); the byte length of the values (uint32, little-endian);
// the values, as one CBOR array; then each key as its UTF-8 length (LEB128) and its UTF-8 bytes.
// Why not one CBOR array of pairs: an array per item costs more to encode and decode than the
// values themselves when they are counts, and keys the codec decodes itself can come from its
// key cache (see decodeKey).
const PAIRS = 0;

// The UTF-8 bytes cbor-x writes for `text` as a value (what it does with a lone surrogate depends
// on the length), so that a key arrives as the same string as the same text in a value.
function textBytes(text: string): Uint8Array {
  const encoded = encoder.encode(text);
  const size = encoded[0]! & 0x1f;
  return encoded.subarray(size < 24 ? 1 : size === 24 ? 2 : size === 25 ? 3 : 5);
}

function encodePairs(batch: readonly [string, unknown][]): Uint8Array {
  const values = new Array(batch.length);
  // Each non-ASCII key's bytes; an ASCII key's bytes are its char codes.
  const utf8: (Uint8Array | undefined)[] = new Array(batch.length);
  let keyBytes = 0;
  for (let i = 0; i < batch.length; i++) {
    const [key, value] = batch[i]!;
    values[i] = value;
    let length = key.length;
    for (let j = 0; j < key.length; j++) {
      if (key.charCodeAt(j) >= 0x80) {
        const bytes = textBytes(key).slice();
        utf8[i] = bytes;
        length = bytes.length;
        break;
      }
    }
    keyBytes += lengthBytes(length) + length;
  }
  const encodedValues = encoder.encode(values);
  const out = new Uint8Array(5 + encodedValues.length + keyBytes);
  out[0] = PAIRS;
  new DataView(out.buffer).setUint32(1, encodedValues.length, true);
  out.set(encodedValues, 5);
  let at = 5 + encodedValues.length;
  for (let i = 0; i < batch.length; i++) {
    const bytes = utf8[i];
    if (bytes === undefined) {
      const key = batch[i]![0];
      at = writeLength(out, at, key.length);
      for (let j = 0; j < key.length; j++) out[at + j] = key.charCodeAt(j);
      at += key.length;
    } else {
      at = writeLength(out, at, bytes.length);
      out.set(bytes, at);
      at += bytes.length;
    }
  }
  return out;
}

function lengthBytes(length: number): number {
  let bytes = 1;
  while (length >= 0x80) {
    length >>>= 7;
    bytes++;
  }
  return bytes;
}

function writeLength(out: Uint8Array, at: number, length: number): number {
  while (length >= 0x80) {
    out[at++] = (length & 0x7f) | 0x80;
    length >>>= 7;
  }
  out[at++] = length;
  return at;
}

function decodePairs(bytes: Uint8Array): [string, unknown][] {
  const valuesLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .getUint32(1, true);
  const values = encoder.decode(bytes.subarray(5, 5 + valuesLength)) as unknown[];
  const pairs = new Array<[string, unknown]>(values.length);
  let at = 5 + valuesLength;
  for (let i = 0; i < values.length; i++) {
    let length = 0;
    for (let shift = 0;; shift += 7) {
      const byte = bytes[at++]!;
      length |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
    pairs[i] = [decodeKey(bytes, at, length), values[i]];
    at += length;
  }
  return pairs;
}

// Keys of up to this many bytes, ASCII only, go through the key cache.
const CACHED_BYTES = 32;
// The most keys the cache holds; when it is full it starts over empty. It holds at most a few MB
// (keys of up to 32 bytes, mostly the very strings the keyed steps' state holds, and the table).
const MAX_CACHED_KEYS = 1 << 17;
// An open-addressing table of keys, at most half full; it doubles up to twice MAX_CACHED_KEYS.
let keyCache: (string | undefined)[] = new Array(1 << 10).fill(undefined);
let cachedKeys = 0;
const textDecoder = new TextDecoder();
// The char codes of the key being decoded, reused.
const codes: number[] = [];

// FNV-1a of the char codes, then murmur3's finalizer to spread them over the low bits.
function mix(hash: number): number {
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return hash ^ (hash >>> 16);
}

function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return mix(hash);
}

function cacheKey(key: string): void {
  if (cachedKeys * 2 >= keyCache.length) {
    const old = keyCache;
    const size = cachedKeys >= MAX_CACHED_KEYS ? old.length : old.length * 2;
    keyCache = new Array(size).fill(undefined);
    cachedKeys = 0;
    if (size > old.length) { for (const kept of old) if (kept !== undefined) cacheKey(kept); }
  }
  const mask = keyCache.length - 1;
  let slot = hashKey(key) & mask;
  while (keyCache[slot] !== undefined) slot = (slot + 1) & mask;
  keyCache[slot] = key;
  cachedKeys++;
}

// Decodes the UTF-8 key at bytes[at..at + length). A short ASCII key seen before arrives as the
// very string it arrived as last time. Why: a freshly made string pays for its first use as a Map
// key (V8 looks it up in its table of internalized strings: 200–300 ns of CPU, against about
// 20 ns for a string used as a key before, on a loaded 2-core machine), and a keyed step looks up
// every key it receives; a string from the cache paid that once.
function decodeKey(bytes: Uint8Array, at: number, length: number): string {
  if (length > CACHED_BYTES) return textDecoder.decode(bytes.subarray(at, at + length));
  let hash = 0x811c9dc5;
  for (let i = 0; i < length; i++) {
    const byte = bytes[at + i]!;
    if (byte >= 0x80) return textDecoder.decode(bytes.subarray(at, at + length));
    hash = Math.imul(hash ^ byte, 0x01000193);
  }
  const mask = keyCache.length - 1;
  for (let slot = mix(hash) & mask;; slot = (slot + 1) & mask) {
    const cached = keyCache[slot];
    if (cached === undefined) break;
    if (cached.length !== length) continue;
    let same = 0;
    while (same < length && cached.charCodeAt(same) === bytes[at + same]) same++;
    if (same === length) return cached;
  }
  codes.length = length;
  for (let i = 0; i < length; i++) codes[i] = bytes[at + i]!;
  // The internalized string (a property name is one) rather than the one just made, which V8
  // would turn into a reference to the internalized one on its first use as a Map key: with it,
  // decoding keys that had been Map keys took about five times longer in a micro-benchmark.
  const key = Object.keys({ [String.fromCharCode.apply(null, codes)]: 0 })[0]!;
  cacheKey(key);
  return key;
}

/**
 * Encodes one value with the codec (what recovery snapshots store): the
 * values {@linkcode encodeBatch} carries, without its checks; callers check
 * with {@linkcode findUnencodable} where a value comes from user code.
 *
 * @param value The value.
 * @returns The bytes.
 */
export function encodeValue(value: unknown): Uint8Array {
  return encoder.encode(value);
}

/**
 * Encodes one value for a snapshot (a key's state, a source or sink
 * position) with the same codec as batches.
 *
 * @param stepId The step the value belongs to, for errors.
 * @param key The key (or partition) the value belongs to, for errors.
 * @param value The value.
 * @returns The bytes.
 * @throws {TypeError} When the value holds something the codec does not carry.
 */
export function encodeState(stepId: string, key: string, value: unknown): Uint8Array {
  const found = findUnencodable(value);
  if (found) {
    throw new TypeError(
      `Cannot snapshot step "${stepId}": key ${describeValue(key)}, state${found.path} is ` +
        `${found.what}; snapshots hold only plain objects, arrays, strings, numbers, booleans, ` +
        "null, undefined, Date, Map, Set, Uint8Array and bigint",
    );
  }
  return encoder.encode(value);
}

/**
 * Decodes a value made by {@linkcode encodeValue}.
 *
 * @param bytes The bytes.
 * @returns The value.
 */
export function decodeValue(bytes: Uint8Array): unknown {
  return encoder.decode(bytes);
}
