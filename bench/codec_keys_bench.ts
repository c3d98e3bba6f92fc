/**
 * `deno run --allow-all bench/codec_keys_bench.ts`: what a keyed fold pays
 * for keys that crossed workers. Batches of 1,024 `[key, 1]` pairs over
 * 50,000 keys (as one worker of `bench:exchange` receives them) are folded
 * into a `Map` of counts, in one thread: with the original key strings, after
 * a round trip through one CBOR array of pairs (how keyed batches crossed
 * before: every key a fresh string), and after a round trip through
 * `encodeBatch`/`decodeBatch`. Prints the least CPU time per item of 7
 * runs of each, alternated, as one JSON line per subject.
 *
 * @module
 */

import process from "node:process";
import {
  decodeBatch,
  decodeValue,
  encodeBatch,
  encodeValue,
} from "../src/runtime/exchange/codec.ts";

const KEYS = 50_000;
const BATCHES = 400;
const keys = Array.from({ length: KEYS }, (_, i) => `key${i * 2}`);
const batches: [string, number][][] = Array.from(
  { length: BATCHES },
  (_, b) => Array.from({ length: 1_024 }, (_, i) => [keys[((b * 1_024 + i) * 7_919) % KEYS]!, 1]),
);

function fold(batch: [string, number][], counts: Map<string, number>): void {
  for (let i = 0; i < batch.length; i++) {
    const [key, n] = batch[i]!;
    counts.set(key, (counts.get(key) ?? 0) + n);
  }
}

const asPairs = batches.map((batch) => encodeValue(batch));
const asBatches = batches.map((batch) => encodeBatch("count", batch, true));
const subjects: Record<string, () => void> = {
  original_keys: () => {
    const counts = new Map<string, number>();
    for (const batch of batches) fold(batch, counts);
  },
  cbor_pairs: () => {
    const counts = new Map<string, number>();
    for (const bytes of asPairs) fold(decodeValue(bytes) as [string, number][], counts);
  },
  decode_batch: () => {
    const counts = new Map<string, number>();
    for (const bytes of asBatches) fold(decodeBatch(bytes) as [string, number][], counts);
  },
};

const best: Record<string, number> = {};
for (let run = 0; run < 7; run++) {
  for (const [name, subject] of Object.entries(subjects)) {
    const start = process.cpuUsage();
    subject();
    const used = process.cpuUsage(start);
    const ns = ((used.user + used.system) * 1_000) / (BATCHES * 1_024);
    best[name] = Math.min(best[name] ?? Infinity, ns);
  }
}
for (const [name, ns] of Object.entries(best)) {
  console.log(JSON.stringify({ bench: "codec_keys", subject: name, ns_per_item: +ns.toFixed(1) }));
}
