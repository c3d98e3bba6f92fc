/**
 * A recovery store in memory, for tests and notebooks.
 *
 * @module
 */

import type { RecoveryStore, ResumePoint, SnapshotRow } from "./store.ts";

/**
 * A {@linkcode RecoveryStore} kept in memory: it lives as long as the
 * object, so it survives a run that fails or is stopped (a crash, as far as
 * the next run over the same store can tell) but not the process. It keeps
 * the rules of a durable store: rows of epochs after the last commit are
 * dropped when a run opens it, a commit never replaces a newer one, the
 * store belongs to the first flow that opened it, and a second run cannot
 * open it while a first holds it.
 *
 * @example A run that fails, then resumes where its last epoch ended
 * ```ts
 * import { Dataflow, run } from "@runnel/runnel";
 * import { MemoryRecoveryStore, TestingSink, TestingSource, TestingTime } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const store = new MemoryRecoveryStore();
 * const time = new TestingTime(0);
 * const counts: [string, number][] = [];
 * const flow = new Dataflow("wc");
 * flow.input("inp", new TestingSource(["a", "b", "", "a", TestingSource.ABORT, "b"]))
 *   // An empty line moves time past the epoch's end: epoch 1 holds "a" and "b".
 *   .filter("tick", (word) => word !== "" || (time.advance(10), false))
 *   .countFinal("count", (word) => word)
 *   .output("out", new TestingSink(counts));
 * const options = { time, epochInterval: 10, recovery: { store } };
 * await assert.rejects(run(flow, options), /TestingSource aborted/);
 * assert.equal(store.committed, 1);
 * // The next run restores the counts of epoch 1 and reads on from there:
 * // every word is counted once.
 * await run(flow, options);
 * assert.deepEqual(counts, [["a", 2], ["b", 2]]);
 * ```
 */
export class MemoryRecoveryStore implements RecoveryStore {
  #flowId: string | undefined;
  #open = false;
  #opened = 0;
  #committed = 0;
  // Rows by epoch, each epoch's rows by step then key (a later write of a key wins).
  readonly #epochs = new Map<number, Map<string, Map<string, Uint8Array | undefined>>>();

  /** The last committed epoch; 0 before the first commit. */
  get committed(): number {
    return this.#committed;
  }

  /** The flow the store belongs to, once a run opened it. */
  get flowId(): string | undefined {
    return this.#flowId;
  }

  /**
   * Opens the store for a run of `flowId`.
   *
   * @param flowId The flow's id.
   * @returns The last committed epoch and every row live then.
   * @throws {Error} When another run holds the store, or it belongs to another flow.
   */
  open(flowId: string): Promise<ResumePoint> {
    if (this.#open) {
      return Promise.reject(
        new Error(`Cannot open recovery store: a run of flow "${this.#flowId}" is using it`),
      );
    }
    if (this.#flowId !== undefined && this.#flowId !== flowId) {
      return Promise.reject(
        new Error(
          `Cannot open recovery store for flow "${flowId}": it holds snapshots of flow "${this.#flowId}"`,
        ),
      );
    }
    this.#flowId = flowId;
    this.#open = true;
    for (const epoch of this.#epochs.keys()) {
      if (epoch > this.#committed) this.#epochs.delete(epoch);
    }
    return Promise.resolve({ ...this.resumePoint(), generation: this.#opened++ });
  }

  /**
   * What a run would resume from if it opened the store now, without
   * opening it (no lock, not counted as a run): for tests to look into.
   *
   * @returns The last committed epoch and every row live then.
   */
  resumePoint(): ResumePoint {
    const rows = new Map<string, Map<string, Uint8Array>>();
    const committed = [...this.#epochs.keys()].filter((epoch) => epoch <= this.#committed);
    for (const epoch of committed.sort((a, b) => a - b)) {
      for (const [step, keys] of this.#epochs.get(epoch)!) {
        let live = rows.get(step);
        if (!live) rows.set(step, live = new Map());
        for (const [key, state] of keys) {
          if (state === undefined) live.delete(key);
          else live.set(key, state);
        }
      }
    }
    return { epoch: this.#committed, rows };
  }

  /**
   * Keeps rows of `epoch`.
   *
   * @param epoch The epoch.
   * @param rows The rows.
   */
  write(epoch: number, rows: readonly SnapshotRow[]): Promise<void> {
    if (!this.#open) return Promise.reject(new Error("Cannot write to recovery store: not open"));
    if (!(epoch > this.#committed)) {
      return Promise.reject(
        new RangeError(
          `Cannot write epoch ${epoch} to recovery store: epoch ${this.#committed} is committed`,
        ),
      );
    }
    let steps = this.#epochs.get(epoch);
    if (!steps) this.#epochs.set(epoch, steps = new Map());
    for (const { step, key, state } of rows) {
      let keys = steps.get(step);
      if (!keys) steps.set(step, keys = new Map());
      keys.set(key, state === undefined ? undefined : state.slice());
    }
    return Promise.resolve();
  }

  /**
   * Commits `epoch`; an epoch not above the last commit changes nothing.
   *
   * @param epoch The epoch.
   */
  commit(epoch: number): Promise<void> {
    if (!this.#open) return Promise.reject(new Error("Cannot commit recovery store: not open"));
    if (epoch > this.#committed) this.#committed = epoch;
    return Promise.resolve();
  }

  /** Releases the store for the next run. */
  close(): Promise<void> {
    this.#open = false;
    return Promise.resolve();
  }
}
