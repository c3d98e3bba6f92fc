/**
 * Recovery: snapshots of a run's state in a directory of Deno KV
 * partitions, so that a run killed at any moment resumes from its last
 * committed epoch.
 *
 * {@linkcode KvRecoveryStore} is the store `run(flow, { recovery: { store } })`
 * writes to (`runnel run flow.ts -r DIR`); {@linkcode inspectRecovery} reads
 * what a directory holds (`runnel recovery inspect DIR`). It needs a host
 * runtime's file system (Deno with `--unstable-kv`, Node or Bun), so it is
 * not part of the browser build.
 *
 * @example Creating a store and inspecting it
 * ```ts
 * import { inspectRecovery, KvRecoveryStore } from "@runnel/runnel/recovery";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await KvRecoveryStore.init(dir, 4);
 * const report = await inspectRecovery(dir);
 * assert.equal(report.partitions, 4);
 * assert.equal(report.committedEpoch, 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

export {
  type ExecutionRecord,
  type InitRecoveryOptions,
  KvRecoveryStore,
  type KvRecoveryStoreOptions,
  RecoveryStoreError,
} from "./src/runtime/recovery/kv_store.ts";
export {
  formatRecoveryReport,
  type FormatRecoveryReportOptions,
  inspectRecovery,
  type LockReport,
  type RecoveryReport,
  type StepReport,
} from "./src/runtime/recovery/inspect.ts";
export type {
  RecoveryOptions,
  RecoveryStore,
  ResumePoint,
  SharedOpening,
  SharedRecoveryStore,
  SnapshotRow,
} from "./src/runtime/recovery/store.ts";
