/**
 * What recovery keeps, and the interface of the store that keeps it.
 *
 * At aligned barrier `e` every stateful step encodes (synchronously, with
 * the runtime's codec) the keys whose state changed in epoch `e`, each
 * source partition its resume position and each sink partition its own,
 * and hands them to the store as {@linkcode SnapshotRow}s. Once every
 * worker's rows of epoch `e` are written, the coordinator commits `e`; an
 * epoch counts only once committed. A new run over the same store resumes
 * from the last committed epoch: each worker takes the rows of the keys and
 * partitions it owns now (the worker count may differ from the last run's).
 *
 * Implementations: the Deno KV store (a recovery directory of partitions,
 * `runnel recovery init DIR N`), and an in-memory store for tests.
 *
 * @module
 */

/** One key of one step as of one epoch. */
export interface SnapshotRow {
  /** The step id: a stateful step, an input or an output. */
  readonly step: string;
  /** The state key, or the partition key of a source or sink. */
  readonly key: string;
  /**
   * The state encoded with the runtime's codec, or `undefined` when the key
   * was discarded in this epoch (a tombstone: the key is absent on resume).
   */
  readonly state: Uint8Array | undefined;
}

/** Where a run resumes: the last committed epoch and every row live then. */
export interface ResumePoint {
  /** The last committed epoch; 0 when the store holds no committed epoch. */
  readonly epoch: number;
  /**
   * Every live row as of `epoch`, by step id then key: for each (step, key)
   * the state of the latest epoch that wrote it, tombstoned keys left out.
   */
  readonly rows: ReadonlyMap<string, ReadonlyMap<string, Uint8Array>>;
  /**
   * How many runs opened the store before this one (0 for the first), for a
   * store that counts them: a run's generation. Sources see it
   * (`SourceContext.generation`); `TestingSource.ABORT` fires once per
   * generation by it.
   */
  readonly generation?: number;
}

/** A recovery store, opened for one run. */
export interface RecoveryStore {
  /**
   * Opens the store for a run of the flow `flowId`: checks that it belongs to
   * this flow, takes the store's lock (a second run on the same store is
   * refused with a clear error), drops rows of epochs after the last commit,
   * and reads where to resume.
   *
   * @param flowId The flow's id.
   * @returns Where to resume.
   */
  open(flowId: string): Promise<ResumePoint>;
  /**
   * Writes rows of epoch `epoch`: the changes since the epoch before. May be
   * called several times for one epoch (once per worker and step); rows of
   * one call may be written in several commits under the store's limits.
   * Resolves once they are durable.
   *
   * @param epoch The epoch whose barrier the rows were taken at.
   * @param rows The rows.
   */
  write(epoch: number, rows: readonly SnapshotRow[]): Promise<void>;
  /**
   * Marks `epoch` complete, atomically, once every write of it resolved.
   * Guarded: a commit never replaces a newer one.
   *
   * @param epoch The epoch.
   */
  commit(epoch: number): Promise<void>;
  /** Releases the lock and closes the store. */
  close(): Promise<void>;
}

/** What process 0 of a cluster run tells the other processes once it opened the store. */
export interface SharedOpening {
  /** The store's identity: a process that opened another store is refused. */
  readonly store: string;
  /** The committed epoch every process resumes from. */
  readonly epoch: number;
  /** The run's generation (see {@linkcode ResumePoint.generation}). */
  readonly generation: number;
}

/**
 * A store the processes of a cluster run share: process 0 opens it (lock,
 * cleaning, execution record, commits), the others join it and write their
 * own workers' rows into it.
 */
export interface SharedRecoveryStore extends RecoveryStore {
  /**
   * Process 0: {@linkcode RecoveryStore.open}, knowing that other processes
   * write too (compaction then reads the partitions' index, not only this
   * store object's writes).
   *
   * @param flowId The flow's id.
   * @returns Where to resume, and what the other processes must join.
   */
  openShared(flowId: string): Promise<{ resume: ResumePoint; opening: SharedOpening }>;
  /**
   * Any other process, once process 0's {@linkcode SharedRecoveryStore.openShared}
   * resolved: takes no lock, cleans nothing and records no execution; checks
   * the flow and that the store is `opening.store`, and reads the rows as of
   * `opening.epoch`. Later writes use writer ids of process `processIndex`
   * (never process 0's). `commit` on a joined store throws; `close` releases
   * nothing but its own handles.
   *
   * @param flowId The flow's id.
   * @param opening What process 0's `openShared` returned.
   * @param processIndex This process's index in the cluster (at least 1).
   * @returns Where to resume: the same epoch and generation as process 0.
   */
  join(flowId: string, opening: SharedOpening, processIndex: number): Promise<ResumePoint>;
}

/**
 * Whether `store` can be shared by the processes of a cluster run.
 *
 * @param store A recovery store.
 * @returns Whether it has `openShared` and `join`.
 */
export function isSharedRecoveryStore(store: RecoveryStore): store is SharedRecoveryStore {
  const shared = store as Partial<SharedRecoveryStore>;
  return typeof shared.openShared === "function" && typeof shared.join === "function";
}

/** How a run snapshots and resumes: `run(flow, { recovery })`. */
export interface RecoveryOptions {
  /** Where snapshots go and where the run resumes from. */
  readonly store: RecoveryStore;
  /**
   * Runs inputs that cannot rewind (a plain iterable, stdin, a WebSocket)
   * under recovery anyway: what they delivered before a crash is not read
   * again. Refused by default.
   */
  readonly allowNonReplayable?: boolean;
}
