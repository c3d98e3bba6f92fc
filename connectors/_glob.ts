/**
 * File-name patterns for {@linkcode DirSource}'s `globPattern`: pure string
 * code, so it lives with the connector rather than in the platform adapters,
 * which only list directories.
 *
 * @module
 */

/**
 * Turns a file-name glob into an anchored regular expression: `*` matches any
 * run of characters and `?` exactly one, neither crossing a `/`; every other
 * character matches itself. There are no character classes or `**`, since
 * patterns only ever match names inside one directory.
 *
 * @param pattern A glob such as `"*.csv"` or `"part_?.txt"`.
 * @returns A `RegExp` that matches whole names.
 *
 * @example Matching CSV files
 * ```ts
 * import { globToRegExp } from "./_glob.ts";
 * import assert from "node:assert/strict";
 *
 * const csv = globToRegExp("*.csv");
 * assert.ok(csv.test("prices.csv"));
 * assert.ok(!csv.test("prices.csv.bak"));
 * ```
 */
export function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (const char of pattern) {
    if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else source += char.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  // The `u` flag makes `?` match one code point, not half a surrogate pair.
  return new RegExp(`^${source}$`, "u");
}
