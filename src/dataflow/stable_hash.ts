/**
 * The one string hash runnel routes by.
 *
 * @module
 */

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * Hashes a string to an unsigned 32-bit integer with FNV-1a over its UTF-8
 * bytes. The result is the same in every runtime, process and run, so it can
 * route keys to workers and sink partitions: `stableHash(key) % n`. (A lone
 * surrogate hashes as U+FFFD, as `TextEncoder` encodes it.) It is fast and
 * well spread, but not cryptographic.
 *
 * @param text The string to hash, usually a key.
 * @returns An integer in `[0, 2 ** 32)`.
 *
 * @example Routing a key to one of four workers
 * ```ts
 * import { stableHash } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * // The published FNV-1a 32-bit test vectors.
 * assert.equal(stableHash(""), 0x811c9dc5);
 * assert.equal(stableHash("a"), 0xe40c292c);
 * assert.equal(stableHash("foobar"), 0xbf9cf968);
 * // "user-42" hashes to 0x026073ab, so it goes to worker 3 of 4, on every host.
 * assert.equal(stableHash("user-42"), 0x026073ab);
 * assert.equal(stableHash("user-42") % 4, 3);
 * // Over UTF-8: "€" is the bytes E2 82 AC.
 * assert.equal(stableHash("€"), 0x298f832b);
 * ```
 */
export function stableHash(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  // Encoding by hand avoids allocating a byte array per key on the hot path.
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      hash = Math.imul(hash ^ code, FNV_PRIME);
      continue;
    }
    if (code < 0x800) {
      hash = Math.imul(hash ^ (0xc0 | (code >> 6)), FNV_PRIME);
      hash = Math.imul(hash ^ (0x80 | (code & 0x3f)), FNV_PRIME);
      continue;
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        i++;
        hash = Math.imul(hash ^ (0xf0 | (code >> 18)), FNV_PRIME);
        hash = Math.imul(hash ^ (0x80 | ((code >> 12) & 0x3f)), FNV_PRIME);
        hash = Math.imul(hash ^ (0x80 | ((code >> 6) & 0x3f)), FNV_PRIME);
        hash = Math.imul(hash ^ (0x80 | (code & 0x3f)), FNV_PRIME);
        continue;
      }
      code = 0xfffd;
    }
    hash = Math.imul(hash ^ (0xe0 | (code >> 12)), FNV_PRIME);
    hash = Math.imul(hash ^ (0x80 | ((code >> 6) & 0x3f)), FNV_PRIME);
    hash = Math.imul(hash ^ (0x80 | (code & 0x3f)), FNV_PRIME);
  }
  return hash >>> 0;
}
