/**
 * `deno task bench:wordcount`: counts the words of a generated text of
 * 10,000,000 words (fixed seed, Zipf-like vocabulary of 50,000 words) through
 * `flatMap` → `countFinal`, and the same count as a hand-written loop over a
 * `Map`, in one run; checks the two agree.
 *
 * @module
 */

import { Dataflow, run } from "../mod.ts";
import { bestOf, seededRandom, zipf } from "./_data.ts";

const WORDS = 10_000_000;
const VOCABULARY = 50_000;
const WORDS_PER_LINE = 10;

const vocabulary = Array.from({ length: VOCABULARY }, (_, i) => `w${i.toString(36)}`);
const draw = zipf(VOCABULARY, seededRandom(42));
const lines: string[] = [];
for (let i = 0; i < WORDS / WORDS_PER_LINE; i++) {
  const words = new Array(WORDS_PER_LINE);
  for (let j = 0; j < WORDS_PER_LINE; j++) words[j] = vocabulary[draw()];
  lines.push(words.join(" "));
}
const split = (line: string) => line.split(" ");

function loop(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) {
    for (const word of split(line)) counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}

async function runnel(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const flow = new Dataflow("wordcount");
  flow.input("inp", lines)
    .flatMap("split", split)
    .countFinal("count", (word) => word)
    .output("out", {
      build: () => ({
        writeBatch(batch: readonly [string, number][]) {
          for (const [word, count] of batch) counts.set(word, count);
        },
      }),
    });
  await run(flow);
  return counts;
}

function same(a: Map<string, number>, b: Map<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [word, count] of a) if (b.get(word) !== count) return false;
  return true;
}

async function measure(
  subject: string,
  fn: () => Map<string, number> | Promise<Map<string, number>>,
) {
  const { seconds: best, result } = await bestOf(3, fn);
  const rate = WORDS / best;
  console.log(
    JSON.stringify({
      bench: "wordcount",
      subject,
      words: WORDS,
      seconds: +best.toFixed(3),
      words_per_s: Math.round(rate),
    }),
  );
  return { rate, result };
}

const baseline = await measure("loop", loop);
const runnelRun = await measure("runnel", runnel);
if (!same(baseline.result, runnelRun.result)) {
  throw new Error("runnel and the loop counted differently");
}
console.log(JSON.stringify({
  bench: "wordcount",
  words_per_s: Math.round(runnelRun.rate),
  ratio_vs_loop: +(runnelRun.rate / baseline.rate).toFixed(3),
}));
