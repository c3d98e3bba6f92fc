/**
 * `deno task bench:recovery`: the wordcount of `bench:wordcount` (Zipf-like
 * words, `flatMap` → `countFinal`), read from a file by `FileSource`, with
 * recovery on (a snapshot every second into a `KvRecoveryStore` of 2
 * partitions in a temporary directory, as `-s 1 -r DIR` does) and off, in
 * one run, alternating, best of three each; then the resume of a store of
 * 1,000,000 keys (4 partitions).
 *
 * `snapshot_ms_p50` is the median over epochs of the time from an epoch's
 * first write to its commit; `snapshot_bytes_per_epoch` the mean bytes of
 * keys and states handed to the store per epoch. On a loaded machine wall
 * times stretch: the ratio, measured in one run, says more.
 *
 * The last line: `{"bench":"recovery","ratio_on_vs_off":…,"snapshot_ms_p50":…,
 * "snapshot_bytes_per_epoch":…,"resume_ms_1m_keys":…}`; targets ≥ 0.85 and
 * under 3,000 ms.
 *
 * @module
 */

import { Dataflow, run } from "../mod.ts";
import { FileSource } from "../connectors/mod.ts";
import { KvRecoveryStore } from "../recovery.ts";
import type { RecoveryStore, ResumePoint, SnapshotRow } from "../src/runtime/recovery/store.ts";
import { seededRandom, zipf } from "./_data.ts";
import { timeResume, writeKeys } from "./_recovery_store.ts";

const WORDS = 5_000_000;
const VOCABULARY = 50_000;
const WORDS_PER_LINE = 10;
const ROUNDS = 3;
const RESUME_KEYS = 1_000_000;

// Times each epoch from its first write to its commit, and counts its bytes.
class TimedStore implements RecoveryStore {
  readonly epochMs: number[] = [];
  readonly epochBytes: number[] = [];
  #inner: KvRecoveryStore;
  #started = new Map<number, number>();
  #bytes = new Map<number, number>();
  constructor(inner: KvRecoveryStore) {
    this.#inner = inner;
  }
  open(flowId: string): Promise<ResumePoint> {
    return this.#inner.open(flowId);
  }
  async write(epoch: number, rows: readonly SnapshotRow[]): Promise<void> {
    if (!this.#started.has(epoch)) this.#started.set(epoch, performance.now());
    let bytes = 0;
    for (const row of rows) bytes += row.key.length + (row.state?.length ?? 0);
    this.#bytes.set(epoch, (this.#bytes.get(epoch) ?? 0) + bytes);
    await this.#inner.write(epoch, rows);
  }
  async commit(epoch: number): Promise<void> {
    await this.#inner.commit(epoch);
    const started = this.#started.get(epoch);
    if (started !== undefined) {
      this.epochMs.push(performance.now() - started);
      this.epochBytes.push(this.#bytes.get(epoch) ?? 0);
    }
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}

// Counts the words of `input`; returns the seconds the run took.
async function wordcount(input: string, store: RecoveryStore | undefined): Promise<number> {
  let distinct = 0;
  let total = 0;
  const flow = new Dataflow("wordcount");
  flow.input("inp", new FileSource(input))
    .flatMap("split", (line) => line.split(" "))
    .countFinal("count", (word) => word)
    .output("out", {
      build: () => ({
        writeBatch(batch: readonly [string, number][]) {
          distinct += batch.length;
          for (const [, count] of batch) total += count;
        },
      }),
    });
  const t0 = performance.now();
  await run(flow, { epochInterval: 1_000, recovery: store && { store } });
  const seconds = (performance.now() - t0) / 1000;
  if (total !== WORDS) {
    throw new Error(`counted ${total} words of ${WORDS} (${distinct} distinct)`);
  }
  return seconds;
}

const dir = await Deno.makeTempDir({ prefix: "runnel_recovery_bench_" });
try {
  const vocabulary = Array.from({ length: VOCABULARY }, (_, i) => `w${i.toString(36)}`);
  const draw = zipf(VOCABULARY, seededRandom(42));
  const lines: string[] = [];
  for (let i = 0; i < WORDS / WORDS_PER_LINE; i++) {
    const words = new Array(WORDS_PER_LINE);
    for (let j = 0; j < WORDS_PER_LINE; j++) words[j] = vocabulary[draw()];
    lines.push(words.join(" "));
  }
  const input = `${dir}/words.txt`;
  await Deno.writeTextFile(input, lines.join("\n") + "\n");
  lines.length = 0;

  const off: number[] = [];
  const on: number[] = [];
  const epochMs: number[] = [];
  const epochBytes: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    off.push(await wordcount(input, undefined));
    const storeDir = `${dir}/store-${round}`;
    await KvRecoveryStore.init(storeDir, 2);
    const store = new TimedStore(new KvRecoveryStore(storeDir));
    on.push(await wordcount(input, store));
    epochMs.push(...store.epochMs);
    epochBytes.push(...store.epochBytes);
  }
  const rate = (seconds: number[]) => WORDS / Math.min(...seconds);
  for (const [subject, seconds] of [["off", off], ["on", on]] as const) {
    console.log(JSON.stringify({
      bench: "recovery",
      subject,
      words: WORDS,
      seconds_runs: seconds.map((s) => +s.toFixed(3)),
      words_per_s: Math.round(rate(seconds)),
    }));
  }
  const sorted = [...epochMs].sort((a, b) => a - b);
  const p50 = sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)]!;
  const bytesPerEpoch = epochBytes.reduce((a, b) => a + b, 0) / Math.max(1, epochBytes.length);

  const resumeDir = `${dir}/resume`;
  await writeKeys(resumeDir, RESUME_KEYS, 4);
  const resumes: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    resumes.push((await timeResume(resumeDir, RESUME_KEYS)).ms);
  }
  console.log(JSON.stringify({
    bench: "recovery",
    epochs_snapshotted: epochMs.length,
    snapshot_ms_max: Math.round(sorted.at(-1) ?? NaN),
    resume_ms_runs: resumes.map(Math.round),
  }));
  console.log(JSON.stringify({
    bench: "recovery",
    ratio_on_vs_off: +(rate(on) / rate(off)).toFixed(3),
    snapshot_ms_p50: Math.round(p50),
    snapshot_bytes_per_epoch: Math.round(bytesPerEpoch),
    resume_ms_1m_keys: Math.round(Math.min(...resumes)),
  }));
} finally {
  await Deno.remove(dir, { recursive: true });
}
