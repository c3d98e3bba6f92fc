/**
 * `deno task bench:recovery-resume`: how long a resume of 1,000,000 keys
 * takes (`KvRecoveryStore.open`, the target is under 3 s), on a store of 4
 * partitions written as a run would: every key in epoch 1 (compacted into
 * base segments) and 1% of them changed in epoch 2 (a delta). The baseline,
 * in the same run, is the layout the store avoids, one KV entry per key:
 * listing 100,000 such entries, scaled to 1,000,000.
 *
 * A second baseline is the least any resume must do: fill a `Map` of
 * 1,000,000 string keys with byte arrays (the `ResumePoint` it returns).
 * On a loaded machine wall times stretch; the process CPU time of the
 * resume (all threads) and the ratios, measured in the same run, say more.
 *
 * The last line: `{"bench":"recovery_resume","resume_ms_1m_keys":…,"resume_cpu_ms_1m_keys":…,
 * "ratio_per_key_vs_segments":…,"ratio_resume_vs_bare_map":…}`.
 *
 * @module
 */

import { encodeValue } from "../src/runtime/exchange/codec.ts";
import { platform } from "../src/runtime/platform/platform.ts";
import { keyOf, timeResume, writeKeys } from "./_recovery_store.ts";

const KEYS = 1_000_000;
const PARTITIONS = 4;
const PER_KEY_SAMPLE = 100_000;

const dir = await Deno.makeTempDir({ prefix: "runnel_recovery_bench_" });
try {
  const writeMs = await writeKeys(`${dir}/store`, KEYS, PARTITIONS);
  let entries = 0;
  let bytes = 0;
  for (let p = 0; p < PARTITIONS; p++) {
    bytes += (await Deno.stat(`${dir}/store/part-${p}.kv`)).size;
  }
  const resumes: number[] = [];
  const resumeCpu: number[] = [];
  for (let round = 0; round < 3; round++) {
    const { ms, cpuMs } = await timeResume(`${dir}/store`, KEYS);
    resumes.push(ms);
    resumeCpu.push(cpuMs);
  }
  const kv = await platform.openKv(`${dir}/store/part-0.kv`);
  for await (const _ of kv.list({ prefix: [] })) entries++;
  kv.close();

  // The baseline: one KV entry per key, listed back.
  const perKey = await platform.openKv(`${dir}/per_key.kv`);
  for (let i = 0; i < PER_KEY_SAMPLE; i += 1000) {
    const op = perKey.atomic();
    for (let j = i; j < i + 1000; j++) {
      op.set(["bench.count", keyOf(j)], encodeValue({ n: j, seen: j * 3 }));
    }
    await op.commit();
  }
  const t1 = performance.now();
  let listed = 0;
  for await (const _ of perKey.list({ prefix: ["bench.count"] })) listed++;
  const perKeyMs = (performance.now() - t1) * (KEYS / PER_KEY_SAMPLE);
  perKey.close();
  if (listed !== PER_KEY_SAMPLE) throw new Error(`listed ${listed} per-key entries`);

  // The least a resume does: a Map of every key to its state's bytes.
  const bareKeys = Array.from({ length: KEYS }, (_, i) => `${keyOf(i)}`);
  const shared = encodeValue({ n: 1, seen: 3 });
  const bare: number[] = [];
  for (let round = 0; round < 3; round++) {
    const t2 = performance.now();
    const map = new Map<string, Uint8Array>();
    for (let i = 0; i < KEYS; i++) map.set(bareKeys[i]!, shared.subarray(0, 8));
    bare.push(performance.now() - t2);
  }

  const resumeMs = Math.min(...resumes);
  console.log(JSON.stringify({
    bench: "recovery_resume",
    runtime: platform.name,
    keys: KEYS,
    partitions: PARTITIONS,
    write_ms: Math.round(writeMs),
    store_bytes: bytes,
    kv_entries_partition_0: entries,
    resume_ms_runs: resumes.map(Math.round),
    resume_cpu_ms_runs: resumeCpu.map(Math.round),
    bare_map_ms_runs: bare.map(Math.round),
  }));
  console.log(JSON.stringify({
    bench: "recovery_resume",
    resume_ms_1m_keys: Math.round(resumeMs),
    resume_cpu_ms_1m_keys: Math.round(Math.min(...resumeCpu)),
    per_key_list_ms_1m_keys: Math.round(perKeyMs),
    ratio_per_key_vs_segments: +(perKeyMs / resumeMs).toFixed(2),
    ratio_resume_vs_bare_map: +(resumeMs / Math.min(...bare)).toFixed(2),
  }));
} finally {
  await Deno.remove(dir, { recursive: true });
}
