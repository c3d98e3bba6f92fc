/**
 * Recovery stores for the benchmarks: one holding many keys as a run would
 * have written them, and the timing of its resume.
 *
 * @module
 */

import process from "node:process";
import { KvRecoveryStore } from "../recovery.ts";
import { encodeValue } from "../src/runtime/exchange/codec.ts";
import type { SnapshotRow } from "../src/runtime/recovery/store.ts";

/** The key `i` of a store {@linkcode writeKeys} wrote. */
export const keyOf = (i: number): string => `user-${i.toString(36)}`;

/**
 * Creates a store of `partitions` partitions in `dir` holding `keys` keys of
 * step "bench.count" of flow "bench", as a run writes them: every key in
 * epoch 1 (from four workers, compacted into base segments) and 1% of them
 * changed in epoch 2 (a delta). Returns the milliseconds epoch 1 took.
 */
export async function writeKeys(dir: string, keys: number, partitions: number): Promise<number> {
  await KvRecoveryStore.init(dir, partitions);
  const writer = new KvRecoveryStore(dir);
  await writer.open("bench");
  const started = performance.now();
  for (let w = 0; w < 4; w++) {
    const rows: SnapshotRow[] = [];
    for (let i = w; i < keys; i += 4) {
      rows.push({ step: "bench.count", key: keyOf(i), state: encodeValue({ n: i, seen: i * 3 }) });
    }
    await writer.write(1, rows);
  }
  await writer.commit(1);
  const writeMs = performance.now() - started;
  const changed: SnapshotRow[] = [];
  for (let i = 0; i < keys; i += 100) {
    changed.push({ step: "bench.count", key: keyOf(i), state: encodeValue({ n: -i, seen: 0 }) });
  }
  await writer.write(2, changed);
  await writer.commit(2);
  await writer.close();
  return writeMs;
}

/**
 * Opens the store {@linkcode writeKeys} wrote in `dir` and checks it
 * resumes epoch 2 with all `keys` keys; returns the wall and process CPU
 * milliseconds (all threads) of the open.
 */
export async function timeResume(
  dir: string,
  keys: number,
): Promise<{ ms: number; cpuMs: number }> {
  const store = new KvRecoveryStore(dir);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const resume = await store.open("bench");
  const cpu = process.cpuUsage(cpu0);
  const ms = performance.now() - t0;
  const resumed = resume.rows.get("bench.count")?.size;
  await store.close();
  if (resume.epoch !== 2 || resumed !== keys) {
    throw new Error(
      `resumed epoch ${resume.epoch} with ${resumed} keys, expected epoch 2 with ${keys}`,
    );
  }
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}
