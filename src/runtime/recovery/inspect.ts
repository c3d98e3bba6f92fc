/**
 * {@linkcode inspectRecovery}: what a recovery directory holds, for
 * `runnel recovery inspect DIR` and for notebooks.
 *
 * @module
 */

import { describeValue } from "../../dataflow/errors.ts";
import { decodeValue } from "../exchange/codec.ts";
import {
  applyRows,
  COMMIT,
  decodeRecord,
  FLOW,
  groupSegments,
  LOCK,
  type OpenPartition,
  openPartitions,
  readIndex,
  readSegment,
  RecoveryStoreError,
  segmentsAsOf,
} from "./_partitions.ts";
import { type ExecutionRecord, staleAfter } from "./kv_store.ts";
import { platform } from "../platform/platform.ts";

/** Steps with at most this many keys show their values: source and sink positions, small states. */
const VALUES_UP_TO = 16;

/** One step's snapshot as of the committed epoch; see {@linkcode RecoveryReport.steps}. */
export interface StepReport {
  /** The step id: a stateful step, an input or an output. */
  readonly step: string;
  /** Live keys (state keys, or source and sink partitions). */
  readonly keys: number;
  /** Bytes of their encoded states. */
  readonly bytes: number;
  /**
   * Each key's state, decoded, when the step has at most 16 keys: for an
   * input, each source partition's resume position; for an output, each
   * sink partition's.
   */
  readonly values?: Readonly<Record<string, unknown>>;
}

/** The lock a run holds on a store; see {@linkcode RecoveryReport.lock}. */
export interface LockReport {
  /** The run's process id. */
  readonly pid: number;
  /** The run's host name. */
  readonly host: string;
  /** When it took the lock, in epoch milliseconds. */
  readonly since: number;
  /** When it last renewed it. */
  readonly renewed: number;
  /**
   * Whether its process still runs, when it ran on this host; `undefined`
   * for another host's run, or where the runtime cannot tell. A lock whose
   * process has ended is taken over by the next run at once.
   */
  readonly running?: boolean;
}

/** What {@linkcode inspectRecovery} reports about a recovery directory. */
export interface RecoveryReport {
  /** The recovery directory. */
  readonly dir: string;
  /** The store's id, shared by all its partitions. */
  readonly store: string;
  /** How many partitions (`part-0.kv` …). */
  readonly partitions: number;
  /** Buckets per step in each partition. */
  readonly buckets: number;
  /** The flow the store belongs to, or `undefined` before its first run. */
  readonly flow: string | undefined;
  /** The epoch a run would resume from: the last one every partition committed (0: none). */
  readonly committedEpoch: number;
  /** When that epoch was committed, in epoch milliseconds, or `undefined`. */
  readonly committedAt: number | undefined;
  /** Each partition's last commit (one is ahead of the others after a crash during a commit). */
  readonly partitionEpochs: readonly number[];
  /** Every run that opened the store, oldest first. */
  readonly executions: readonly ExecutionRecord[];
  /** The run holding the store now (or a crashed one's lock), or `undefined`. */
  readonly lock: LockReport | undefined;
  /** Each step's keys and bytes as of the committed epoch, by step id. */
  readonly steps: readonly StepReport[];
}

/**
 * Reads what the recovery directory `dir` holds as of its committed epoch:
 * the runs that used it, the committed epoch, each step's keys and bytes,
 * and the values of small steps (each source and sink partition's
 * position). It checks the store as a resume would (every partition
 * present, of one store, readable) and throws a `RecoveryStoreError` naming
 * the file when not. It reads without taking the store's lock, so it works
 * while a run uses the store, and changes nothing.
 *
 * @param dir The recovery directory.
 * @returns The report; {@linkcode formatRecoveryReport} prints it, and in a
 *   notebook `table(report.steps)` shows the steps.
 *
 * @example Inspecting a store after two epochs
 * ```ts
 * import { table } from "@runnel/runnel";
 * import { inspectRecovery, KvRecoveryStore } from "@runnel/runnel/recovery";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await KvRecoveryStore.init(dir, 2);
 * const store = new KvRecoveryStore(dir);
 * await store.open("wordcount");
 * const state = new Uint8Array(10);
 * await store.write(1, [
 *   { step: "wordcount.count", key: "to", state },
 *   { step: "wordcount.count", key: "be", state },
 * ]);
 * await store.commit(1);
 * await store.close();
 *
 * const report = await inspectRecovery(dir);
 * assert.equal(report.flow, "wordcount");
 * assert.equal(report.committedEpoch, 1);
 * assert.equal(report.executions.length, 1);
 * assert.deepEqual(
 *   report.steps.map(({ step, keys, bytes }) => [step, keys, bytes]),
 *   [["wordcount.count", 2, 20]],
 * );
 * // In a notebook, the steps as a table (the last expression of a cell is drawn).
 * const html = String(table(report.steps, { columns: ["step", "keys", "bytes"] }));
 * assert.deepEqual(html.match(/(?<=<td[^>]*>)[^<]+/g), ["wordcount.count", "2", "20"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function inspectRecovery(dir: string): Promise<RecoveryReport> {
  const parts = await openPartitions(dir);
  try {
    const first = parts[0]!;
    let flow: string | undefined;
    for (const part of parts) {
      const flowEntry = await part.kv.get(FLOW);
      if (flowEntry.versionstamp !== null && flow === undefined) {
        flow = decodeRecord<{ flow: string }>(part.path, FLOW, flowEntry.value, ["flow"]).flow;
      }
    }
    const { commits, live } = await readCommittedRetrying(parts);
    const epoch = Math.min(...commits.map((c) => c.epoch));
    const at = commits.find((c) => c.epoch === epoch)?.at;
    const executions: ExecutionRecord[] = [];
    for await (const entry of first.kv.list({ prefix: ["exec"] })) {
      executions.push(decodeRecord<ExecutionRecord>(first.path, entry.key, entry.value, [
        "execution",
        "started",
        "resumedFrom",
        "pid",
        "host",
      ]));
    }
    const lockEntry = await first.kv.get(LOCK);
    const lock = lockEntry.versionstamp === null
      ? undefined
      : decodeRecord<LockReport & { heartbeat?: number }>(
        first.path,
        LOCK,
        lockEntry.value,
        ["pid", "host", "since", "renewed"],
      );
    const steps: StepReport[] = [...live.keys()].sort().flatMap((step) => {
      const keys = live.get(step)!;
      if (keys.size === 0) return [];
      let bytes = 0;
      for (const state of keys.values()) bytes += state.length;
      const report: StepReport = { step, keys: keys.size, bytes };
      if (keys.size > VALUES_UP_TO) return [report];
      const values: Record<string, unknown> = {};
      for (const key of [...keys.keys()].sort()) values[key] = decodeOrBytes(keys.get(key)!);
      return [{ ...report, values }];
    });
    return {
      dir,
      store: first.meta.store,
      partitions: first.meta.partitions,
      buckets: first.meta.buckets,
      flow,
      committedEpoch: epoch,
      committedAt: at === undefined || Number.isNaN(at) ? undefined : at,
      partitionEpochs: commits.map((c) => c.epoch),
      executions: executions.map(({ execution, started, resumedFrom, pid, host, fresh }) => ({
        execution,
        started,
        resumedFrom,
        pid,
        host,
        fresh: fresh === true,
      })),
      lock: lock === undefined ? undefined : {
        pid: lock.pid,
        host: lock.host,
        since: lock.since,
        renewed: lock.renewed,
        ...runningOf(lock),
      },
      steps,
    };
  } finally {
    for (const part of parts) part.kv.close();
  }
}

// Whether a lock's process runs, as the store itself judges it when it
// opens: on this host by its process id, a live id counting only while the
// lock is renewed (an ended run's id may have gone to another process).
function runningOf(lock: LockReport & { heartbeat?: number }): { running?: boolean } {
  if (lock.host !== platform.hostname()) return {};
  const alive = lock.pid === platform.pid() || platform.isProcessAlive(lock.pid);
  if (alive === undefined) return {};
  return { running: alive && Date.now() - lock.renewed <= staleAfter(lock.heartbeat) };
}

/** How many times the committed rows are read before a missing segment counts as corruption. */
const READ_ATTEMPTS = 5;

/**
 * Each partition's commit, and every live row as of the epoch all of them
 * committed. A run writing the store meanwhile commits newer epochs, and its
 * compaction deletes the segments older ones were read from (a segment
 * found missing, "truncated"): then the whole read starts again from the
 * newer commit. A segment missing every time is corruption.
 */
async function readCommittedRetrying(parts: readonly OpenPartition[]): Promise<{
  commits: { epoch: number; at: number }[];
  live: Map<string, Map<string, Uint8Array>>;
}> {
  for (let attempt = 1;; attempt++) {
    try {
      return await readCommitted(parts);
    } catch (error) {
      if (!(error instanceof RecoveryStoreError) || attempt === READ_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
    }
  }
}

async function readCommitted(parts: readonly OpenPartition[]): Promise<{
  commits: { epoch: number; at: number }[];
  live: Map<string, Map<string, Uint8Array>>;
}> {
  const commits: { epoch: number; at: number }[] = [];
  for (const part of parts) {
    const commit = await part.kv.get(COMMIT);
    commits.push(
      commit.versionstamp === null
        ? { epoch: 0, at: NaN }
        : decodeRecord<{ epoch: number; at: number }>(part.path, COMMIT, commit.value, [
          "epoch",
          "at",
        ]),
    );
  }
  const epoch = Math.min(...commits.map((c) => c.epoch));
  const live = new Map<string, Map<string, Uint8Array>>();
  for (const part of parts) await readLive(part, epoch, live);
  return { commits, live };
}

async function readLive(
  part: OpenPartition,
  epoch: number,
  live: Map<string, Map<string, Uint8Array>>,
): Promise<void> {
  const { segments } = await readIndex(part);
  for (const group of groupSegments(segments).values()) {
    const step = group[0]!.step;
    let keys = live.get(step);
    if (keys === undefined) live.set(step, keys = new Map());
    for (const info of segmentsAsOf(group, epoch)) applyRows(keys, await readSegment(part, info));
  }
}

// A state the runtime encoded with the codec; bytes it cannot decode are shown as bytes.
function decodeOrBytes(state: Uint8Array): unknown {
  try {
    return decodeValue(state);
  } catch {
    return state;
  }
}

/** Options for {@linkcode formatRecoveryReport}. */
export interface FormatRecoveryReportOptions {
  /** JSON (one object, for tools) instead of text for people. */
  json?: boolean;
}

/**
 * Renders a {@linkcode RecoveryReport} as text for people, or as JSON for
 * tools (`runnel recovery inspect DIR [--json]`). In JSON, times are epoch
 * milliseconds, values the codec decoded are plain JSON (a `bigint` as a
 * string, a `Map` as its entries, a `Set` or byte array as an array).
 *
 * @param report What {@linkcode inspectRecovery} returned.
 * @param options `json: true` for JSON.
 * @returns The text, ending with a newline.
 *
 * @example Text and JSON
 * ```ts
 * import { formatRecoveryReport, type RecoveryReport } from "@runnel/runnel/recovery";
 * import assert from "node:assert/strict";
 *
 * const report: RecoveryReport = {
 *   dir: "snapshots",
 *   store: "0123456789abcdef",
 *   partitions: 1,
 *   buckets: 32,
 *   flow: "wordcount",
 *   committedEpoch: 3,
 *   committedAt: Date.UTC(2025, 0, 1),
 *   partitionEpochs: [3],
 *   executions: [],
 *   lock: undefined,
 *   steps: [{ step: "wordcount.inp", keys: 1, bytes: 3, values: { "part-0": 1234 } }],
 * };
 * const text = formatRecoveryReport(report);
 * assert.match(text, /^Committed epoch: 3 \(2025-01-01T00:00:00.000Z\)$/m);
 * assert.match(text, /^ {2}wordcount\.inp +"part-0" +1234$/m);
 * assert.equal(JSON.parse(formatRecoveryReport(report, { json: true })).committedEpoch, 3);
 * ```
 */
export function formatRecoveryReport(
  report: RecoveryReport,
  options: FormatRecoveryReportOptions = {},
): string {
  if (options.json) return `${JSON.stringify(report, jsonValue)}\n`;
  const time = (ms: number | undefined) => ms === undefined ? "-" : new Date(ms).toISOString();
  const lines = [
    `Recovery store ${report.dir}: ${report.partitions} partition${
      report.partitions === 1 ? "" : "s"
    } of ${report.buckets} buckets (store ${report.store})`,
    `Flow: ${report.flow ?? "(none yet)"}`,
    `Committed epoch: ${report.committedEpoch} (${time(report.committedAt)})`,
  ];
  if (report.partitionEpochs.some((e) => e !== report.committedEpoch)) {
    lines.push(`Partition epochs: ${report.partitionEpochs.join(", ")}`);
  }
  lines.push(
    report.lock === undefined
      ? "Lock: free"
      : `Lock: process ${report.lock.pid} on host "${report.lock.host}" since ${
        time(report.lock.since)
      }, renewed ${time(report.lock.renewed)}${
        report.lock.running === false ? " (not running: the next run takes the lock over)" : ""
      }`,
    "",
    "Executions:",
  );
  lines.push(...columns([
    ["#", "started", "resumed from", "process", "host"],
    ...report.executions.map((e) => [
      String(e.execution),
      time(e.started),
      e.fresh ? "fresh" : String(e.resumedFrom),
      String(e.pid),
      e.host,
    ]),
  ]));
  lines.push("", `Steps as of epoch ${report.committedEpoch}:`);
  lines.push(...columns([
    ["step", "keys", "bytes"],
    ...report.steps.map((s) => [s.step, String(s.keys), String(s.bytes)]),
  ]));
  const small = report.steps.filter((s) => s.values !== undefined);
  if (small.length > 0) {
    lines.push(
      "",
      `Values (steps of at most ${VALUES_UP_TO} keys: source and sink positions among them):`,
    );
    lines.push(
      ...columns(small.flatMap((s) =>
        Object.entries(s.values!).map((
          [key, value],
        ) => [s.step, JSON.stringify(key), describeValue(value)])
      )),
    );
  }
  return `${lines.join("\n")}\n`;
}

// Left-aligned columns, two spaces apart, indented by two; the last column unpadded.
function columns(rows: readonly string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => widths[i] = Math.max(widths[i] ?? 0, cell.length));
  }
  return rows.map((row) =>
    `  ${row.map((cell, i) => i === row.length - 1 ? cell : cell.padEnd(widths[i]!)).join("  ")}`
  );
}

function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return String(value);
  if (value instanceof Map) return [...value];
  if (value instanceof Set || value instanceof Uint8Array) return [...value];
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return value;
}
