/**
 * The worker side of recovery: what one worker restores from the resume
 * point, the writer its steps hand their snapshot rows to, and when it has
 * written an epoch. Everything here runs on the worker's own thread; what
 * it tells the coordinator goes through two callbacks (a direct call on
 * this thread, a message from a Worker thread).
 *
 * @module
 */

import { stableHash } from "../../dataflow/stable_hash.ts";
import type { ResumePoint, SnapshotRow } from "./store.ts";

/** What snapshots are encoded with: the runtime's codec (`exchange/codec.ts`). */
export interface SnapshotCodec {
  /** Encodes a key's state; throws a `TypeError` naming the step and key for what it cannot carry. */
  encodeState(stepId: string, key: string, value: unknown): Uint8Array;
  /** Decodes what `encodeState` made. */
  decodeValue(bytes: Uint8Array): unknown;
}

// Computed, so that no runtime fetches the codec (and its npm package) ahead:
// only runs with recovery load it.
const CODEC_MODULE = ["..", "exchange", "codec.ts"].join("/");

/**
 * Loads the runtime's codec for snapshots. A run without recovery never
 * loads it, so a first run of a flow downloads no npm package.
 *
 * @returns The codec.
 */
export async function loadSnapshotCodec(): Promise<SnapshotCodec> {
  return await import(CODEC_MODULE) as SnapshotCodec;
}

/** Whether worker `workerIndex` of `workerCount` owns `key` of a keyed step: the exchange's routing. */
function owns(key: string, workerIndex: number, workerCount: number): boolean {
  return workerCount === 1 || stableHash(key) % workerCount === workerIndex;
}

/**
 * What one worker of another thread needs of the resume point: of the keyed
 * steps' rows (`keyedSteps`), only the keys it owns; every other step's rows
 * (source and sink partitions, which the worker is dealt later, and the
 * folds' per-worker shared state) whole. A Worker is then sent its share,
 * not a copy of everything.
 *
 * @param resume The resume point.
 * @param keyedSteps The paths of the steps with state per key.
 * @param workerIndex The worker.
 * @param workerCount All workers of the run.
 * @returns The worker's resume point.
 */
export function resumeShare(
  resume: ResumePoint,
  keyedSteps: ReadonlySet<string>,
  workerIndex: number,
  workerCount: number,
): ResumePoint {
  const rows = new Map<string, ReadonlyMap<string, Uint8Array>>();
  for (const [step, keys] of resume.rows) {
    if (!keyedSteps.has(step)) {
      rows.set(step, keys);
      continue;
    }
    const owned = new Map<string, Uint8Array>();
    for (const [key, bytes] of keys) {
      if (owns(key, workerIndex, workerCount)) owned.set(key, bytes);
    }
    rows.set(step, owned);
  }
  return { ...resume, rows };
}

/** How a worker reports to the coordinator. */
export interface WorkerReports {
  /** Every row of epochs up to `epoch` is durable and barrier `epoch` passed every sink. */
  written(epoch: number): void;
  /** Every sink ended: the worker writes nothing more. */
  finished(): void;
  /** A write failed: the run must stop. */
  failed(error: unknown): void;
}

/** One sink (or tapped stream) of a worker, as far as epochs go. */
export interface SinkProgress {
  /** Barrier `epoch` passed the sink, after everything it wrote before it. */
  passed(epoch: number): void;
  /** The sink's input ended normally. */
  ended(): void;
}

/**
 * One worker's share of recovery: the rows it restores, a writer that
 * writes the rows its steps stage (in order, one write at a time), and the
 * epochs barriers have passed every sink at.
 */
export class WorkerRecovery {
  /** The epoch the run resumed from; 0 on a fresh start. */
  readonly resumeEpoch: number;
  /** The run's generation, when the store counts its runs (see `ResumePoint.generation`). */
  readonly generation: number | undefined;
  /** This worker. */
  readonly workerIndex: number;
  /** All workers. */
  readonly workerCount: number;
  readonly #rows: ReadonlyMap<string, ReadonlyMap<string, Uint8Array>>;
  readonly #write: (epoch: number, rows: readonly SnapshotRow[]) => Promise<void>;
  readonly #reports: WorkerReports;
  readonly #codec: SnapshotCodec;
  readonly #sinks: number[] = [];
  #writing: Promise<void> = Promise.resolve();
  #reported = 0;
  #failed = false;

  /**
   * @param resume Where the run resumes.
   * @param workerIndex This worker.
   * @param workerCount All workers.
   * @param write Writes rows of an epoch to the store.
   * @param reports Tells the coordinator.
   * @param codec Encodes and decodes states (from {@linkcode loadSnapshotCodec}).
   */
  constructor(
    resume: ResumePoint,
    workerIndex: number,
    workerCount: number,
    write: (epoch: number, rows: readonly SnapshotRow[]) => Promise<void>,
    reports: WorkerReports,
    codec: SnapshotCodec,
  ) {
    this.resumeEpoch = resume.epoch;
    this.generation = resume.generation;
    this.#reported = resume.epoch;
    this.workerIndex = workerIndex;
    this.workerCount = workerCount;
    this.#rows = resume.rows;
    this.#write = write;
    this.#reports = reports;
    this.#codec = codec;
  }

  /**
   * The stored states of step `step` whose keys this worker owns now (the
   * exchange's routing, `stableHash(key) % workerCount`), decoded.
   *
   * @param step The step id.
   * @returns Each owned key's state.
   */
  ownedStates(step: string): Map<string, unknown> {
    const owned = new Map<string, unknown>();
    const rows = this.#rows.get(step);
    if (rows === undefined) return owned;
    for (const [key, bytes] of rows) {
      if (owns(key, this.workerIndex, this.workerCount)) {
        owned.set(key, this.#decode(step, key, bytes));
      }
    }
    return owned;
  }

  /**
   * The stored state of one key or partition of `step`, whichever worker
   * owns it (source and sink partitions are dealt out by the caller).
   *
   * @param step The step id.
   * @param key The key or partition.
   * @returns The state, or `undefined` when none is stored.
   */
  stateOf(step: string, key: string): unknown {
    const bytes = this.#rows.get(step)?.get(key);
    return bytes === undefined ? undefined : this.#decode(step, key, bytes);
  }

  /**
   * Every stored key of `step`, whichever worker owns it.
   *
   * @param step The step id.
   * @returns The keys.
   */
  keysOf(step: string): string[] {
    return [...(this.#rows.get(step)?.keys() ?? [])];
  }

  /**
   * Encodes `state` as a row of `step` (synchronously: the state may change
   * right after), `undefined` giving a tombstone.
   *
   * @param step The step id.
   * @param key The key or partition.
   * @param state The state, or `undefined` when the key was discarded.
   * @returns The row.
   */
  row(step: string, key: string, state: unknown): SnapshotRow {
    const bytes = state === undefined ? undefined : this.#codec.encodeState(step, key, state);
    // A copy (not `slice`, a view on a Node Buffer): the codec's output shares
    // its buffer with later values, which a Worker thread's exchange moves
    // (detaches) when it sends them.
    return { step, key, state: bytes === undefined ? undefined : new Uint8Array(bytes) };
  }

  /**
   * Hands rows of epoch `epoch` to the writer; they are written after every
   * row staged before them.
   *
   * @param epoch The epoch whose barrier the rows were taken at.
   * @param rows The rows.
   */
  stage(epoch: number, rows: readonly SnapshotRow[]): void {
    if (rows.length === 0 || this.#failed) return;
    this.#writing = this.#writing.then(() => this.#failed ? undefined : this.#write(epoch, rows))
      .catch((error) => {
        if (!this.#failed) {
          this.#failed = true;
          this.#reports.failed(error);
        }
      });
  }

  /**
   * Registers a sink (or a tapped stream); call before the run starts.
   *
   * @returns Where the sink tells its progress.
   */
  sink(): SinkProgress {
    const index = this.#sinks.length;
    this.#sinks.push(this.resumeEpoch);
    return {
      passed: (epoch) => {
        if (epoch > this.#sinks[index]!) this.#sinks[index] = epoch;
        this.#progress();
      },
      ended: () => {
        this.#sinks[index] = Infinity;
        this.#progress();
      },
    };
  }

  /** Resolves once every staged row is written (or a write failed). */
  flushed(): Promise<void> {
    return this.#writing;
  }

  #decode(step: string, key: string, bytes: Uint8Array): unknown {
    try {
      return this.#codec.decodeValue(bytes);
    } catch (error) {
      throw new Error(
        `Cannot resume step "${step}": the stored state of key ${JSON.stringify(key)} is corrupt`,
        { cause: error },
      );
    }
  }

  #progress(): void {
    let low = Infinity;
    for (const epoch of this.#sinks) if (epoch < low) low = epoch;
    if (low <= this.#reported) return;
    this.#reported = low;
    // Once every row staged so far is written: rows of epoch `low` were staged before its barrier passed.
    this.#writing.then(() => {
      if (this.#failed) return;
      if (low === Infinity) this.#reports.finished();
      else this.#reports.written(low);
    });
  }
}
