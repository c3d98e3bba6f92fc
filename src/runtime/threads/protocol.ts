/**
 * What the coordinator (the main thread of a threaded run) and its Workers
 * tell each other. Everything here survives structured cloning; errors
 * travel as {@linkcode EncodedError}s.
 *
 * @module
 */

import type { EncodedError } from "../exchange/error_codec.ts";
import type { StepCounts } from "../run_stats.ts";
import type { ResumePoint, SnapshotRow } from "../recovery/store.ts";
import type { ResolvedFlowModule } from "./flow_module.ts";

/** The exchange name of the frame a Worker sends on each relayed link once it sent everything. */
export const FLUSHED = "\0flushed";

/** From the coordinator to a Worker. */
export type ToWorker =
  /** Build the flow and report its fingerprint; `ports[w]` reaches worker `w` (`null` for this one). */
  | {
    readonly type: "init";
    readonly workerIndex: number;
    readonly workerCount: number;
    readonly module: ResolvedFlowModule;
    /** The graph of the flow given to `run`. */
    readonly fingerprint: string;
    readonly epochInterval: number;
    readonly ports: readonly (MessagePort | null)[];
    /** Workers on other processes, whose links go through the coordinator's relay. */
    readonly relayed: readonly number[];
    readonly drainable: boolean;
    readonly stats: boolean;
    /**
     * Where the run resumes, when it has recovery: the Worker restores what
     * it owns of it and sends its rows to the coordinator, which holds the store.
     */
    readonly recovery?: ResumePoint;
  }
  /** The partitions of source `path` this worker reads (the answer to its `parts`). */
  | { readonly type: "parts"; readonly path: string; readonly parts: readonly string[] }
  /** Every worker built the same graph: run it. */
  | { readonly type: "start" }
  /** Epoch `epoch` closed. */
  | { readonly type: "epoch"; readonly epoch: number }
  /** Stop with this error: another worker failed, or the caller aborted. */
  | { readonly type: "stop"; readonly error: EncodedError }
  /** End the inputs as if their data had (`RunOptions.drainSignal`). */
  | { readonly type: "drain" }
  /** Every worker finished: release the links and the parent, and end. */
  | { readonly type: "close" }
  /** The rows of write `id` are durable, or (with `error`) could not be written. */
  | { readonly type: "wrote"; readonly id: number; readonly error?: EncodedError };

/** From a Worker to the coordinator. */
export type FromWorker =
  /** The entry module is loaded and listens: messages sent before could be lost (Bun). */
  | { readonly type: "listening" }
  | { readonly type: "ready"; readonly fingerprint: string }
  /** Which partitions of source `path` should this worker read? It can reach `parts`. */
  | { readonly type: "parts"; readonly path: string; readonly parts: readonly string[] }
  /** Recovery: write these rows of `epoch` to the store, then answer `wrote` with `id`. */
  | {
    readonly type: "write";
    readonly id: number;
    readonly epoch: number;
    readonly rows: readonly SnapshotRow[];
  }
  /** Recovery: every row of epochs up to `epoch` is written and barrier `epoch` passed every sink. */
  | { readonly type: "written"; readonly epoch: number }
  /** Recovery: every sink of the Worker ended; it writes nothing more. */
  | { readonly type: "finished" }
  | { readonly type: "done"; readonly stats?: Record<string, StepCounts> }
  | {
    readonly type: "failed";
    readonly error: EncodedError;
    readonly stats?: Record<string, StepCounts>;
  };
