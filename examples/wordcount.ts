/**
 * The wordcount demo: counts the words of a text file and prints
 * `[word, count]` pairs sorted by word.
 *
 * Run it with `deno task demo`, or as a flow module with
 * `deno task runnel run examples/wordcount.ts`.
 *
 * @module
 */

import { Dataflow, run } from "../mod.ts";
import { FileSource, StdOutSink } from "../connectors/mod.ts";
import { platform } from "../src/runtime/platform/platform.ts";

const text = decodeURIComponent(new URL("wordcount.txt", import.meta.url).pathname);

/** Splits a line into words, dropping punctuation and digits. */
export function tokenize(line: string): string[] {
  return line.match(/[^\s!,.?":;0-9]+/g) ?? [];
}

/** The wordcount flow: lines → lower case → words → counts at end of input. */
export const flow = new Dataflow("wordcount");
flow.input("inp", new FileSource(text))
  .map("lowercase", (line) => line.toLowerCase())
  .flatMap("tokenize", tokenize)
  .countFinal("count", (word) => word)
  .output("out", new StdOutSink());

// Node has import.meta.main only from 24.2 on; before, the platform tells.
if (import.meta.main ?? platform.isMain(import.meta.url)) await run(flow);
