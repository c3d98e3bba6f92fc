/**
 * {@linkcode KvRecoveryStore}: the durable recovery store, a directory of
 * Deno KV partitions (see `_partitions.ts` for what each holds).
 *
 * @module
 */

import { encodeValue } from "../exchange/codec.ts";
import { type KvDatabase, platform } from "../platform/platform.ts";
import { realTime, type SystemTime } from "../system_time.ts";
import {
  applyRows,
  COMMIT,
  CommitBatcher,
  cutPieces,
  decodeRecord,
  DEFAULT_BUCKETS,
  encodeRecord,
  FLOOR,
  FLOW,
  FORMAT,
  groupId,
  indexKey,
  LOCK,
  MAX_STEP_ID_BYTES,
  META,
  openKvAt,
  type OpenPartition,
  openPartitions,
  partitionPath,
  pendingKey,
  piecesPrefix,
  placeRow,
  readIndex,
  readSegment,
  RecoveryStoreError,
  type SegmentInfo,
  type SegmentRows,
  segmentsAsOf,
  utf8Length,
} from "./_partitions.ts";
import { testPause } from "./_pause_point.ts";
import { isKvUrl } from "./_remote.ts";
import type { ResumePoint, SharedOpening, SharedRecoveryStore, SnapshotRow } from "./store.ts";

export { RecoveryStoreError } from "./_partitions.ts";

/** Options for {@linkcode KvRecoveryStore.init}. */
export interface InitRecoveryOptions {
  /**
   * Buckets per step in each partition: the unit of compaction (a base
   * rewrites one bucket). Defaults to 32.
   */
  buckets?: number;
}

/** Options for a {@linkcode KvRecoveryStore}. */
export interface KvRecoveryStoreOptions {
  /**
   * Seconds to keep older complete epochs before deleting them (`-b`), so
   * that backups of single partitions taken at different moments still meet
   * at a common epoch. Defaults to 0: only the last committed epoch is kept.
   */
  backup?: number;
  /** Starts over: `open` drops every snapshot and the flow the store belonged to (`--fresh`). */
  fresh?: boolean;
  /**
   * The time commits are stamped with (for `backup`) and the lock's
   * heartbeat and waits run on. Defaults to real time. With a hand-driven
   * time, `open` on a store another run holds waits until the time is moved.
   */
  time?: SystemTime;
  /**
   * Milliseconds between renewals of the store's lock. A run whose lock was
   * not renewed for three of them (or whose process is gone, on this host)
   * is taken for dead. Defaults to 1000.
   */
  heartbeat?: number;
}

interface LockRecord {
  readonly owner: string;
  readonly pid: number;
  readonly host: string;
  readonly since: number;
  /** When the lock was last renewed, on its holder's clock. */
  readonly renewed: number;
  readonly heartbeat: number;
}

/** One run that opened a store, as `inspectRecovery` lists it. */
export interface ExecutionRecord {
  /** 1 for the first run, then counting up. */
  readonly execution: number;
  /** When it opened the store, in epoch milliseconds. */
  readonly started: number;
  /** The committed epoch it resumed from (0: from the start). */
  readonly resumedFrom: number;
  /** Its process id. */
  readonly pid: number;
  /** Its host name. */
  readonly host: string;
  /** Whether it started over (`--fresh`). */
  readonly fresh: boolean;
}

/** Rewrite a bucket's base once its deltas outweigh it, or once this many have piled up. */
const MAX_DELTAS = 8;
const STALE_HEARTBEATS = 3;

/**
 * How long a lock may go unrenewed before its run counts as gone: three of
 * its holder's heartbeats. `inspectRecovery` judges a lock by it too.
 *
 * @param heartbeat The holder's heartbeat, as its lock record has it.
 * @returns Milliseconds.
 */
export function staleAfter(heartbeat: unknown): number {
  return STALE_HEARTBEATS * Math.max(1, Number(heartbeat) || 1000);
}
/**
 * Writer ids of process p of a cluster run start at `p * WRITER_SPAN`, so
 * that processes writing rows of one (epoch, step, bucket) never share a
 * segment key. Process 0's are 1, 2, … as in a run of one process.
 */
const WRITER_SPAN = 2 ** 32;

// The owners of the locks this process holds: a second open in the same
// process sees its holder alive without waiting for heartbeats.
const heldHere = new Set<string>();

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

interface PartitionState extends OpenPartition {
  committed: number;
  /** The oldest epoch this partition can still rebuild. */
  floor: number;
  commitStamp: string | null;
  /** Segments by (step, bucket) group. */
  groups: Map<string, SegmentInfo[]>;
  /** The segments in `groups`, by {@linkcode segmentKey}: each is listed once. */
  listed: Set<string>;
  /** The last epoch whose every segment is in `groups` (for a shared store's index reads). */
  listedThrough: number;
  /** When each kept epoch was committed. */
  commitTimes: Map<number, number>;
}

/**
 * The durable {@linkcode RecoveryStore}: a recovery directory of N
 * partitions, each a Deno KV database file (`Deno.openKv` in Deno, the
 * `@deno/kv` package in Node and Bun; a store written by one runtime opens in
 * the others).
 *
 * Create the directory once with {@linkcode KvRecoveryStore.init} (or
 * `runnel recovery init DIR N`). A row of (step, key) goes to partition
 * `stableHash(step + "\0" + key) % N`. Each write stores, per (step, bucket)
 * of a partition, one segment of many rows encoded with the runtime's codec
 * and cut into pieces under Deno KV's limits, never one KV entry per key, so
 * a resume reads large values rather than listing millions of entries.
 * After each commit, a bucket whose later deltas outweigh its last base (or
 * its first delta) gets a new base (every live row as of the committed epoch), and segments no longer
 * needed to rebuild an epoch committed within `backup` seconds are deleted.
 *
 * `open` checks every partition (present, of this store, of this flow,
 * readable) and fails with a {@linkcode RecoveryStoreError} naming the file
 * and what is wrong, never silently starting over; `fresh` starts over on
 * purpose. It takes the store's lock: a second run on the same directory is
 * refused while the first is alive (its lock is renewed every `heartbeat`
 * ms). A run that died (`kill -9`) leaves a lock that the next run takes at
 * once when the dead process was on this host, else after three missed
 * heartbeats. `commit` writes each partition's commit marker guarded by the
 * version it last read, so a run that lost the lock cannot commit over a
 * newer run. Each `open` is recorded as an execution (see
 * `inspectRecovery`), and its resume point's `generation` counts the runs
 * before it since the store last started over (`fresh`), so that
 * `TestingSource.ABORT` fails a run once per generation across processes.
 *
 * The store can also live on a remote Deno KV server, such as `denokv`
 * (`denokv --sqlite-path FILE serve --access-token TOKEN`): give its
 * `http:` or `https:` URL instead of a directory, as in
 * `new KvRecoveryStore("http://10.0.0.5:4512")`. Such a store is one
 * partition, the database at that URL (`KvRecoveryStore.init(url, 1)`), and
 * the processes of a cluster run on several hosts can share it. Its access
 * token is read from the environment variable `DENO_KV_ACCESS_TOKEN` (by
 * `Deno.openKv` and the `@deno/kv` package alike); without it, opening fails
 * saying so. An operation the server does not answer within 10 s fails with
 * a {@linkcode RecoveryStoreError} naming the URL, rather than waiting.
 *
 * The processes of a cluster run share one store: process 0 opens it with
 * {@linkcode KvRecoveryStore.openShared} and commits, the others
 * {@linkcode KvRecoveryStore.join} it and write their own workers' rows.
 *
 * @example Writing two epochs and resuming
 * ```ts
 * import { KvRecoveryStore } from "@runnel/runnel/recovery";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await KvRecoveryStore.init(dir, 2);
 * const bytes = (n: number) => new TextEncoder().encode(String(n));
 *
 * const first = new KvRecoveryStore(dir);
 * assert.equal((await first.open("wordcount")).epoch, 0);
 * await first.write(1, [
 *   { step: "wordcount.count", key: "to", state: bytes(1) },
 *   { step: "wordcount.count", key: "be", state: bytes(1) },
 * ]);
 * await first.commit(1);
 * await first.write(2, [
 *   { step: "wordcount.count", key: "to", state: bytes(2) },
 *   { step: "wordcount.count", key: "be", state: undefined }, // discarded
 * ]);
 * await first.commit(2);
 * await first.write(3, [{ step: "wordcount.count", key: "or", state: bytes(1) }]);
 * await first.close(); // epoch 3 was never committed
 *
 * const second = new KvRecoveryStore(dir);
 * const resume = await second.open("wordcount");
 * assert.equal(resume.epoch, 2);
 * const counts = resume.rows.get("wordcount.count")!;
 * assert.deepEqual([...counts.keys()], ["to"]);
 * assert.equal(new TextDecoder().decode(counts.get("to")), "2");
 * await second.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class KvRecoveryStore implements SharedRecoveryStore {
  /**
   * Creates a recovery store of `partitions` partitions in `dir` (created if
   * missing), refusing a directory that already holds partitions. `dir` may
   * instead be a remote server's `http:` or `https:` URL (its access token in
   * `DENO_KV_ACCESS_TOKEN`): the store is then the one database at that URL,
   * `partitions` must be 1, and a database that holds a store already is
   * refused.
   *
   * @param dir The recovery directory, or a remote server's URL.
   * @param partitions How many partition files (at least 1; exactly 1 for a URL).
   * @param options The bucket count.
   */
  static async init(
    dir: string,
    partitions: number,
    options: InitRecoveryOptions = {},
  ): Promise<void> {
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 10_000) {
      throw new RangeError(
        `Cannot create a recovery store: the partition count must be a whole number from 1 to 10000, got ${partitions}`,
      );
    }
    const buckets = options.buckets ?? DEFAULT_BUCKETS;
    if (!Number.isInteger(buckets) || buckets < 1 || buckets > 65_536) {
      throw new RangeError(
        `Cannot create a recovery store: the bucket count must be a whole number from 1 to 65536, got ${buckets}`,
      );
    }
    const cannot = (path: string, error: unknown) =>
      new RecoveryStoreError(
        path,
        `Cannot create the recovery store ${dir}: ${(error as Error)?.message ?? String(error)}`,
        { cause: error },
      );
    const remote = isKvUrl(dir);
    if (remote && partitions !== 1) {
      throw new RangeError(
        `Cannot create a recovery store at ${dir}: a store on a server is one partition, ` +
          `the database at that URL, got ${partitions} partitions`,
      );
    }
    if (!remote) {
      let names: string[];
      try {
        await platform.mkdir(dir);
        names = (await platform.readDir(dir)).map((e) => e.name);
      } catch (error) {
        throw cannot(dir, error);
      }
      const existing = names.filter((name) => /^part-\d+\.kv$/.test(name));
      if (existing.length > 0) {
        throw new RecoveryStoreError(
          dir,
          `The directory ${dir} already holds a recovery store (${existing[0]}); ` +
            "delete it first, or keep it and start it over in the next run (runnel run -r DIR " +
            "--fresh; in code, fresh: true)",
        );
      }
    }
    const store = randomId();
    const created = Date.now();
    for (let partition = 0; partition < partitions; partition++) {
      const path = partitionPath(dir, partition);
      let kv: KvDatabase;
      try {
        kv = await openKvAt(path);
      } catch (error) {
        if (error instanceof RecoveryStoreError) throw error;
        throw cannot(path, error);
      }
      try {
        const meta = { format: FORMAT, store, partition, partitions, buckets, created };
        const result = await kv.atomic().check({ key: META, versionstamp: null })
          .set(META, encodeRecord(meta)).commit();
        if (!result.ok) {
          throw new RecoveryStoreError(
            path,
            remote
              ? `The server at ${dir} already holds a recovery store; use another database, ` +
                "or keep it and start it over in the next run (runnel run -r URL --fresh; in " +
                "code, fresh: true)"
              : `The recovery partition ${path} was created meanwhile by another init`,
          );
        }
      } finally {
        kv.close();
      }
    }
  }

  readonly #dir: string;
  readonly #backup: number;
  readonly #fresh: boolean;
  readonly #time: SystemTime;
  readonly #heartbeat: number;
  readonly #owner = randomId();
  #parts: PartitionState[] | undefined;
  #committed = 0;
  #writes = 0;
  /** The first writer id of this process, less one: `processIndex * WRITER_SPAN`. */
  #writerBase = 0;
  /** Opened by openShared: other processes write segments this store object did not. */
  #shared = false;
  /** Joined by a process other than 0: no lock, no commits, no compaction. */
  #joined = false;
  #lockStamp: string | null = null;
  #lost: Error | undefined;
  #closed = false;
  #stopHeartbeat = new AbortController();
  #heartbeatDone: Promise<void> = Promise.resolve();
  // Lock renewals and commits of partition 0 take turns: both check the lock's version.
  #lockTurn: Promise<unknown> = Promise.resolve();
  #compaction: Promise<void> = Promise.resolve();

  /**
   * Makes a store over `dir`; nothing is read before {@linkcode KvRecoveryStore.open}.
   *
   * @param dir The recovery directory, or a remote server's URL, made by {@linkcode KvRecoveryStore.init}.
   * @param options Backup seconds, `fresh`, time and the lock's heartbeat.
   */
  constructor(dir: string, options: KvRecoveryStoreOptions = {}) {
    const backup = options.backup ?? 0;
    if (!(backup >= 0) || !Number.isFinite(backup)) {
      throw new RangeError(
        `Cannot use recovery store ${dir}: backup must be a number of seconds of at least 0, got ${backup}`,
      );
    }
    const heartbeat = options.heartbeat ?? 1000;
    if (!(heartbeat > 0) || !Number.isFinite(heartbeat)) {
      throw new RangeError(
        `Cannot use recovery store ${dir}: heartbeat must be a positive number of milliseconds, got ${heartbeat}`,
      );
    }
    this.#dir = dir;
    this.#backup = backup;
    this.#fresh = options.fresh ?? false;
    this.#time = options.time ?? realTime;
    this.#heartbeat = heartbeat;
  }

  /** The recovery directory, or the remote server's URL. */
  get dir(): string {
    return this.#dir;
  }

  /** The last committed epoch (0 before any). */
  get committedEpoch(): number {
    return this.#committed;
  }

  open(flowId: string): Promise<ResumePoint> {
    return this.#open(flowId);
  }

  /**
   * Opens the store as process 0 of a cluster run: {@linkcode KvRecoveryStore.open},
   * and from then on compaction reads the partitions' index before each
   * pass, so that it covers the segments the other processes wrote too.
   *
   * @param flowId The flow's id.
   * @returns Where to resume, and what the other processes pass to {@linkcode KvRecoveryStore.join}.
   */
  async openShared(flowId: string): Promise<{ resume: ResumePoint; opening: SharedOpening }> {
    this.#shared = true;
    const resume = await this.#open(flowId);
    const opening: SharedOpening = {
      store: this.#parts![0]!.meta.store,
      epoch: resume.epoch,
      generation: resume.generation ?? 0,
    };
    return { resume, opening };
  }

  /**
   * Joins the store process 0 of a cluster run opened with
   * {@linkcode KvRecoveryStore.openShared}, as process `processIndex`: takes
   * no lock, cleans nothing and records no execution; checks that the store
   * is the one process 0 opened, of this flow, committed up to
   * `opening.epoch`, and reads the rows as of that epoch. Its writes use
   * writer ids of its own; it cannot commit.
   *
   * @param flowId The flow's id.
   * @param opening What process 0's `openShared` returned.
   * @param processIndex This process's index in the cluster (at least 1).
   * @returns Where to resume: `opening`'s epoch and generation.
   */
  async join(flowId: string, opening: SharedOpening, processIndex: number): Promise<ResumePoint> {
    this.#checkUnopened(flowId);
    if (!Number.isInteger(processIndex) || processIndex < 1 || processIndex >= 2 ** 20) {
      throw new RangeError(
        `Cannot join recovery store ${this.#dir}: the process index must be a whole number from 1 to ${
          2 ** 20 - 1
        } (process 0 opens the store), got ${processIndex}`,
      );
    }
    const { epoch } = opening;
    const parts = await this.#openParts();
    try {
      const store = parts[0]!.meta.store;
      if (store !== opening.store) {
        throw new RecoveryStoreError(
          this.#dir,
          `Cannot join recovery store ${this.#dir}: it is store ${store}, but process 0 opened ` +
            `store ${opening.store}; the processes of a cluster must share one store`,
        );
      }
      for (const part of parts) {
        const entry = await part.kv.get(FLOW);
        const stored = entry.versionstamp === null
          ? undefined
          : decodeRecord<{ flow: string }>(part.path, FLOW, entry.value, ["flow"]).flow;
        if (stored !== flowId) {
          throw new RecoveryStoreError(
            part.path,
            `Cannot join recovery store ${this.#dir}: its partition ${part.path} belongs to ` +
              `${stored === undefined ? "no flow" : `flow "${stored}"`}, not "${flowId}", ` +
              "though process 0 opened it for this flow",
          );
        }
      }
      await this.#readCommits(parts);
      for (const part of parts) {
        if (part.committed < epoch || part.floor > epoch) {
          throw new RecoveryStoreError(
            part.path,
            `Cannot join recovery store ${this.#dir}: process 0 resumes from epoch ${epoch}, but ` +
              `its partition ${part.path} ${
                part.committed < epoch
                  ? `has committed epoch ${part.committed} only`
                  : `can rebuild epochs from ${part.floor} on only`
              }`,
          );
        }
        for (const info of (await readIndex(part)).segments) addSegment(part, info);
      }
      const rows = await readRows(parts, epoch);
      // Only the rows as of the join were needed; this store never compacts.
      for (const part of parts) {
        part.groups.clear();
        part.listed.clear();
      }
      this.#committed = epoch;
      this.#writerBase = processIndex * WRITER_SPAN;
      this.#joined = true;
      this.#parts = parts;
      return { epoch, rows, generation: opening.generation };
    } catch (error) {
      for (const part of parts) part.kv.close();
      throw error;
    }
  }

  #checkUnopened(flowId: string): void {
    if (this.#parts !== undefined || this.#closed) {
      throw new Error(
        `Cannot open recovery store ${this.#dir}: this store object was opened already`,
      );
    }
    if (typeof flowId !== "string" || flowId === "") {
      throw new TypeError(
        `Cannot open recovery store ${this.#dir}: the flow id must be a non-empty string, got ${
          String(flowId)
        }`,
      );
    }
  }

  async #openParts(): Promise<PartitionState[]> {
    const opened = await openPartitions(this.#dir);
    return opened.map((p) => ({
      ...p,
      committed: 0,
      floor: 0,
      commitStamp: null,
      groups: new Map(),
      listed: new Set(),
      listedThrough: 0,
      commitTimes: new Map(),
    }));
  }

  async #open(flowId: string): Promise<ResumePoint> {
    this.#checkUnopened(flowId);
    const parts = await this.#openParts();
    let locked = false;
    try {
      const me = await this.#lock(parts[0]!);
      locked = true;
      if (this.#fresh) await Promise.all(parts.map(wipe));
      await this.#checkFlow(parts, flowId);
      const epoch = await this.#readCommits(parts);
      for (const part of parts) {
        if (epoch < part.floor) {
          throw new RecoveryStoreError(
            part.path,
            `The recovery partition ${part.path} can rebuild epochs from ${part.floor} on only, ` +
              `but the last epoch every partition committed is ${epoch}: a partition restored ` +
              "from a backup older than the backup window (-b); restore backups taken closer together",
          );
        }
      }
      await Promise.all(parts.map((part) => this.#loadAndClean(part, epoch)));
      this.#committed = epoch;
      this.#parts = parts;
      const generation = await this.#recordExecution(parts[0]!, epoch);
      const rows = await readRows(parts, epoch);
      this.#startHeartbeat(parts[0]!, me);
      return { epoch, rows, generation };
    } catch (error) {
      this.#parts = undefined;
      if (locked) await releaseLock(parts[0]!, this.#owner).catch(() => {});
      heldHere.delete(this.#owner);
      for (const part of parts) part.kv.close();
      throw error;
    }
  }

  async write(epoch: number, rows: readonly SnapshotRow[]): Promise<void> {
    const parts = this.#usable("write");
    if (!Number.isInteger(epoch) || epoch <= this.#committed) {
      throw new RangeError(
        `Cannot write epoch ${epoch} to recovery store ${this.#dir}: epochs written must be whole numbers after the committed epoch ${this.#committed}`,
      );
    }
    const writer = this.#writerBase + ++this.#writes;
    const { partitions, buckets } = parts[0]!.meta;
    // partition -> group -> rows
    const byPartition = new Map<
      number,
      Map<string, { step: string; bucket: number; keys: string[]; states: (Uint8Array | null)[] }>
    >();
    const checkedSteps = new Set<string>();
    for (const row of rows) {
      const { step, key, state } = row;
      if (!checkedSteps.has(step)) {
        if (typeof step !== "string" || step === "") {
          throw new TypeError(
            `Cannot write to recovery store ${this.#dir}: a row's step must be a non-empty string, got ${
              String(step)
            }`,
          );
        }
        if (utf8Length(step) > MAX_STEP_ID_BYTES) {
          throw new RangeError(
            `Cannot write to recovery store ${this.#dir}: step id "${
              step.slice(0, 40)
            }…" is longer than ${MAX_STEP_ID_BYTES} bytes, too long for a KV key`,
          );
        }
        checkedSteps.add(step);
      }
      if (typeof key !== "string") {
        throw new TypeError(
          `Cannot write to recovery store ${this.#dir}: a key of step "${step}" must be a string, got ${typeof key}`,
        );
      }
      if (state !== undefined && !(state instanceof Uint8Array)) {
        throw new TypeError(
          `Cannot write to recovery store ${this.#dir}: the state of key "${key}" of step "${step}" must be bytes (Uint8Array) or undefined, got ${typeof state}`,
        );
      }
      const { partition, bucket } = placeRow(step, key, partitions, buckets);
      let groups = byPartition.get(partition);
      if (groups === undefined) byPartition.set(partition, groups = new Map());
      const id = groupId(step, bucket);
      let group = groups.get(id);
      if (group === undefined) groups.set(id, group = { step, bucket, keys: [], states: [] });
      group.keys.push(key);
      group.states.push(state ?? null);
    }
    await Promise.all([...byPartition].map(async ([index, groups]) => {
      const part = parts[index]!;
      const batcher = new CommitBatcher(part.kv);
      const written: SegmentInfo[] = [];
      for (const group of groups.values()) {
        written.push(
          await queueSegment(
            batcher,
            { epoch, step: group.step, bucket: group.bucket, writer },
            group,
          ),
        );
      }
      await batcher.flush();
      await testPause("write");
      // A joined store never compacts, so it keeps no index of its writes.
      if (!this.#joined) { for (const info of written) addSegment(part, info); }
    }));
  }

  async commit(epoch: number): Promise<void> {
    const parts = this.#usable("commit");
    if (this.#joined) {
      throw new Error(
        `Cannot commit epoch ${epoch} to recovery store ${this.#dir}: this process joined the ` +
          "store of a cluster run, whose process 0 commits",
      );
    }
    if (!Number.isInteger(epoch) || epoch <= this.#committed) {
      throw new RangeError(
        `Cannot commit epoch ${epoch} to recovery store ${this.#dir}: epoch ${this.#committed} is committed already, and a commit never replaces a newer one`,
      );
    }
    await testPause("commit");
    const at = this.#time.now();
    const record = encodeRecord({ epoch, at });
    for (const part of parts) {
      if (part.index === 1) await testPause("commit-partial");
      const commitOne = async () => {
        const op = part.kv.atomic().check({ key: COMMIT, versionstamp: part.commitStamp });
        if (part.index === 0) op.check({ key: LOCK, versionstamp: this.#lockStamp });
        const result = await op.set(COMMIT, record).set(["epoch", epoch], encodeRecord({ at }))
          .commit();
        if (!result.ok) {
          this.#lost = new RecoveryStoreError(
            part.path,
            `Cannot commit epoch ${epoch} to ${part.path}: its commit marker or lock changed since ` +
              "this run read it, so another run took the store over; this run must stop",
          );
          throw this.#lost;
        }
        part.commitStamp = result.versionstamp ?? (await part.kv.get(COMMIT)).versionstamp;
      };
      if (part.index === 0) await this.#takeLockTurn(commitOne);
      else await commitOne();
      part.committed = epoch;
      part.commitTimes.set(epoch, at);
    }
    this.#committed = epoch;
    // One compaction at a time; a failed one leaves the segments it would have replaced.
    this.#compaction = this.#compaction.then(() =>
      Promise.all(parts.map(async (part) => {
        // Other processes' segments are known from the index only. Each
        // index entry lands with or after its pieces, and every write of
        // `epoch` resolved before this commit, so the index holds all of
        // them; entries of later epochs being written now are listed or
        // not, and compaction leaves epochs after `epoch` alone either way.
        // Epochs up to the last one read this way are complete already.
        if (this.#shared) {
          const { segments } = await readIndex(part, part.listedThrough + 1);
          for (const info of segments) addSegment(part, info);
          part.listedThrough = epoch;
        }
        await compact(part, epoch, at - this.#backup * 1000);
      })).then(() => {})
    );
    await this.#compaction;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const parts = this.#parts;
    this.#parts = undefined;
    if (parts === undefined) return;
    if (this.#joined) {
      for (const part of parts) part.kv.close();
      return;
    }
    this.#stopHeartbeat.abort();
    await this.#heartbeatDone;
    await this.#compaction.catch(() => {});
    try {
      if (this.#lost === undefined) {
        await this.#takeLockTurn(() => releaseLock(parts[0]!, this.#owner));
      }
    } finally {
      heldHere.delete(this.#owner);
      for (const part of parts) part.kv.close();
    }
  }

  #usable(what: string): PartitionState[] {
    if (this.#lost !== undefined) throw this.#lost;
    if (this.#parts === undefined) {
      throw new Error(
        `Cannot ${what} to recovery store ${this.#dir}: it is ${
          this.#closed ? "closed" : "not open"
        }`,
      );
    }
    return this.#parts;
  }

  #takeLockTurn<T>(fn: () => Promise<T>): Promise<T> {
    const turn = this.#lockTurn.then(fn, fn);
    this.#lockTurn = turn.catch(() => {});
    return turn;
  }

  async #lock(part: OpenPartition): Promise<LockRecord> {
    const me: LockRecord = {
      owner: this.#owner,
      pid: platform.pid(),
      host: platform.hostname(),
      since: this.#time.now(),
      renewed: this.#time.now(),
      heartbeat: this.#heartbeat,
    };
    for (;;) {
      const entry = await part.kv.get(LOCK);
      if (entry.versionstamp !== null) {
        const holder = decodeRecord<LockRecord>(part.path, LOCK, entry.value, [
          "owner",
          "pid",
          "host",
          "since",
          "renewed",
          "heartbeat",
        ]);
        if (!(await this.#isDead(part, holder, entry.versionstamp))) {
          throw new RecoveryStoreError(
            this.#dir,
            `Cannot open the recovery store ${this.#dir}: another run holds it (process ` +
              `${holder.pid} on host "${holder.host}", since ${
                new Date(holder.since).toISOString()
              }); ` +
              "two runs on one store would overwrite each other's snapshots: stop that run first, or use another directory",
          );
        }
      }
      const result = await part.kv.atomic().check({ key: LOCK, versionstamp: entry.versionstamp })
        .set(LOCK, encodeRecord(me)).commit();
      if (result.ok) {
        this.#lockStamp = result.versionstamp ?? (await part.kv.get(LOCK)).versionstamp;
        heldHere.add(this.#owner);
        return me;
      }
      // Another run took or renewed the lock meanwhile: look again.
    }
  }

  // Whether the run holding the lock is gone: its process ended (on this
  // host), or its lock went unrenewed for three of its heartbeats.
  async #isDead(part: OpenPartition, holder: LockRecord, stamp: string): Promise<boolean> {
    if (heldHere.has(holder.owner)) return false;
    const stale = staleAfter(holder.heartbeat);
    const heartbeat = stale / STALE_HEARTBEATS;
    if (holder.host === platform.hostname()) {
      // This process's id, held by an owner this process does not know: a
      // dead run's, its id reused (as a container's first process's is).
      if (holder.pid === platform.pid()) return true;
      const alive = platform.isProcessAlive(holder.pid);
      if (alive === false) return true;
      // Alive and renewing (one clock on one host): refused at once. Alive
      // but silent: the dead run's process id went to another process.
      if (alive === true) {
        return this.#time.now() - holder.renewed > stale;
      }
    }
    const until = this.#time.now() + stale;
    while (this.#time.now() < until) {
      await this.#time.sleepUntil(Math.min(until, this.#time.now() + heartbeat / 4));
      const now = await part.kv.get(LOCK);
      if (now.versionstamp !== stamp) return now.versionstamp === null;
    }
    return true;
  }

  #startHeartbeat(part: OpenPartition, me: LockRecord): void {
    const signal = this.#stopHeartbeat.signal;
    const beat = async () => {
      for (;;) {
        try {
          await this.#time.sleepUntil(this.#time.now() + this.#heartbeat, signal);
        } catch {
          return; // stopped
        }
        if (signal.aborted) return;
        const renewed = await this.#takeLockTurn(async () => {
          const record: LockRecord = { ...me, renewed: this.#time.now() };
          const result = await part.kv.atomic().check({ key: LOCK, versionstamp: this.#lockStamp })
            .set(LOCK, encodeRecord(record)).commit();
          if (!result.ok) return false;
          this.#lockStamp = result.versionstamp ?? (await part.kv.get(LOCK)).versionstamp;
          return true;
        }).catch(() => undefined);
        if (renewed === false) {
          this.#lost = new RecoveryStoreError(
            this.#dir,
            `The recovery store ${this.#dir} was taken over by another run while this one held it ` +
              "(its lock went unrenewed too long, as when this process was suspended); this run must stop",
          );
          return;
        }
      }
    };
    this.#heartbeatDone = beat();
  }

  async #checkFlow(parts: PartitionState[], flowId: string): Promise<void> {
    const flow = encodeRecord({ flow: flowId });
    for (const part of parts) {
      const entry = await part.kv.get(FLOW);
      if (entry.versionstamp === null) {
        await part.kv.atomic().check({ key: FLOW, versionstamp: null }).set(FLOW, flow).commit();
        continue;
      }
      const stored = decodeRecord<{ flow: string }>(part.path, FLOW, entry.value, ["flow"]).flow;
      if (stored !== flowId) {
        throw new RecoveryStoreError(
          part.path,
          `The recovery partition ${part.path} belongs to flow "${stored}", not "${flowId}": ` +
            "use another recovery directory for this flow, or start over with --fresh",
        );
      }
    }
  }

  // The epoch to resume from: the oldest partition's last commit (a crash
  // during a commit leaves some partitions one epoch ahead).
  async #readCommits(parts: PartitionState[]): Promise<number> {
    for (const part of parts) {
      const entry = await part.kv.get(COMMIT);
      part.commitStamp = entry.versionstamp;
      if (entry.versionstamp !== null) {
        const { epoch } = decodeRecord<{ epoch: number }>(part.path, COMMIT, entry.value, [
          "epoch",
        ]);
        if (!Number.isInteger(epoch) || epoch < 0) {
          throw new RecoveryStoreError(
            part.path,
            `The recovery partition ${part.path} is corrupt: its commit marker holds epoch ${epoch}`,
          );
        }
        part.committed = epoch;
      }
      const floor = await part.kv.get(FLOOR);
      if (floor.versionstamp !== null) {
        part.floor =
          decodeRecord<{ epoch: number }>(part.path, FLOOR, floor.value, ["epoch"]).epoch;
      }
    }
    return Math.min(...parts.map((p) => p.committed));
  }

  // Loads a partition's index, dropping what a dead run left after `epoch`:
  // rows of uncommitted epochs, bases it did not finish, a commit ahead of
  // the other partitions'.
  async #loadAndClean(part: PartitionState, epoch: number): Promise<void> {
    const batcher = new CommitBatcher(part.kv);
    for (const prefix of ["seg", "idx", "pending", "epoch"]) {
      for await (const entry of part.kv.list({ prefix: [prefix], start: [prefix, epoch + 1] })) {
        await batcher.delete(entry.key);
      }
    }
    await batcher.flush();
    const { segments, pending } = await readIndex(part);
    for (const base of pending) {
      for await (const entry of part.kv.list({ prefix: piecesPrefix(base) })) {
        await batcher.delete(entry.key);
      }
      await batcher.delete(pendingKey(base));
    }
    await batcher.flush();
    for (const info of segments) addSegment(part, info);
    part.listedThrough = epoch;
    for await (const entry of part.kv.list({ prefix: ["epoch"] })) {
      const e = entry.key[1];
      const { at } = decodeRecord<{ at: number }>(part.path, entry.key, entry.value, ["at"]);
      if (typeof e === "number") part.commitTimes.set(e, at);
    }
    if (part.committed > epoch) {
      const result = await part.kv.atomic().check({ key: COMMIT, versionstamp: part.commitStamp })
        .set(COMMIT, encodeRecord({ epoch, at: part.commitTimes.get(epoch) ?? this.#time.now() }))
        .commit();
      if (!result.ok) {
        throw new RecoveryStoreError(
          part.path,
          `Cannot reset the commit marker of ${part.path}: it changed while this run held the lock`,
        );
      }
      part.commitStamp = result.versionstamp ?? (await part.kv.get(COMMIT)).versionstamp;
      part.committed = epoch;
    }
  }

  // Records this run and returns its generation: how many runs opened the
  // store before it since it last started over (a `fresh` run is generation 0).
  async #recordExecution(part: OpenPartition, epoch: number): Promise<number> {
    let last = 0;
    let lastFresh = 0;
    for await (const entry of part.kv.list({ prefix: ["exec"] })) {
      const execution = entry.key[1];
      if (typeof execution !== "number") continue;
      last = Math.max(last, execution);
      const { fresh } = decodeRecord<{ fresh: boolean }>(part.path, entry.key, entry.value, [
        "fresh",
      ]);
      if (fresh === true) lastFresh = Math.max(lastFresh, execution);
    }
    const record: ExecutionRecord = {
      execution: last + 1,
      started: this.#time.now(),
      resumedFrom: epoch,
      pid: platform.pid(),
      host: platform.hostname(),
      fresh: this.#fresh,
    };
    await part.kv.atomic().set(["exec", last + 1], encodeRecord(record)).commit();
    if (this.#fresh) return 0;
    return lastFresh === 0 ? last : last - lastFresh + 1;
  }
}

// A segment's identity within its partition.
function segmentKey(s: SegmentInfo): string {
  return `${s.epoch}\0${s.writer}\0${s.bucket}\0${s.step}`;
}

// Adds a segment to its group once: a shared store lists the index, which
// holds its own writes too.
function addSegment(part: PartitionState, info: SegmentInfo): void {
  const key = segmentKey(info);
  if (part.listed.has(key)) return;
  part.listed.add(key);
  const id = groupId(info.step, info.bucket);
  let group = part.groups.get(id);
  if (group === undefined) part.groups.set(id, group = []);
  group.push(info);
}

// Queues a segment's pieces, then its index entry (so the entry lands with
// or after the last piece), and returns its description.
async function queueSegment(
  batcher: CommitBatcher,
  where: Pick<SegmentInfo, "epoch" | "step" | "bucket" | "writer">,
  rows: SegmentRows,
): Promise<SegmentInfo> {
  const bytes = encodeValue([rows.keys, rows.states]);
  const pieces = cutPieces(bytes);
  const info: SegmentInfo = {
    ...where,
    pieces: pieces.length,
    bytes: bytes.length,
    rows: rows.keys.length,
  };
  const prefix = piecesPrefix(info);
  if (where.writer === 0) {
    await batcher.set(
      pendingKey(info),
      encodeRecord({ pieces: info.pieces, bytes: info.bytes, rows: info.rows }),
    );
  }
  for (let i = 0; i < pieces.length; i++) await batcher.set([...prefix, i], pieces[i]!);
  await batcher.set(
    indexKey(info),
    encodeRecord({ pieces: info.pieces, bytes: info.bytes, rows: info.rows }),
  );
  if (where.writer === 0) await batcher.delete(pendingKey(info));
  return info;
}

async function readGroup(
  part: OpenPartition,
  segments: readonly SegmentInfo[],
  epoch: number,
  into: Map<string, Uint8Array>,
): Promise<void> {
  for (const info of segmentsAsOf(segments, epoch)) applyRows(into, await readSegment(part, info));
}

/** Every live row as of `epoch`, by step then key. */
async function readRows(
  parts: readonly PartitionState[],
  epoch: number,
): Promise<Map<string, Map<string, Uint8Array>>> {
  const rows = new Map<string, Map<string, Uint8Array>>();
  await Promise.all(parts.map(async (part) => {
    for (const segments of part.groups.values()) {
      const step = segments[0]!.step;
      let live = rows.get(step);
      if (live === undefined) rows.set(step, live = new Map());
      // Groups hold disjoint keys (a key's group is fixed by its hash), so
      // each applies its base and deltas straight to the step's map.
      await readGroup(part, segments, epoch, live);
    }
  }));
  for (const [step, live] of rows) if (live.size === 0) rows.delete(step);
  return rows;
}

// After `epoch` was committed at a time: writes new bases where deltas
// piled up, then deletes what no epoch committed since `keepSince` needs.
async function compact(part: PartitionState, epoch: number, keepSince: number): Promise<void> {
  let keepFrom = epoch;
  for (const [e, at] of part.commitTimes) if (at >= keepSince && e < keepFrom) keepFrom = e;
  if (keepFrom > part.floor) {
    // Recorded before anything older is deleted: a resume from an older
    // epoch (a partition restored from an old backup) is then refused
    // rather than read from what is left.
    await part.kv.atomic().set(FLOOR, encodeRecord({ epoch: keepFrom })).commit();
    part.floor = keepFrom;
  }
  const batcher = new CommitBatcher(part.kv);
  for (const [id, segments] of part.groups) {
    const current = segmentsAsOf(segments, epoch);
    const base = current[0]?.writer === 0 ? current[0] : undefined;
    const deltas = base === undefined ? current : current.slice(1);
    // Without a base the first delta stands in for one: a large first epoch
    // is not written twice, only once later deltas outweigh it.
    const anchor = base ?? deltas[0];
    const later = base === undefined ? deltas.slice(1) : deltas;
    const laterBytes = later.reduce((sum, s) => sum + s.bytes, 0);
    if (
      anchor !== undefined && later.length > 0 &&
      (deltas.length >= MAX_DELTAS || laterBytes > anchor.bytes)
    ) {
      const live = new Map<string, Uint8Array>();
      await readGroup(part, segments, epoch, live);
      const { step, bucket } = segments[0]!;
      const info = await queueSegment(batcher, { epoch, step, bucket, writer: 0 }, {
        keys: [...live.keys()],
        states: [...live.values()],
      });
      await batcher.flush();
      addSegment(part, info);
    }
    // The newest base an epoch from keepFrom on can start from: older segments are not needed.
    let floor: SegmentInfo | undefined;
    for (const s of segments) {
      if (s.writer === 0 && s.epoch <= keepFrom && (floor === undefined || s.epoch > floor.epoch)) {
        floor = s;
      }
    }
    if (floor === undefined) continue;
    const obsolete = new Set(
      segments.filter((s) => s.epoch < floor.epoch || (s.epoch === floor.epoch && s.writer !== 0)),
    );
    if (obsolete.size === 0) continue;
    // Pieces first, the index entry last: an entry left by a crash here
    // names an older segment than a base, which nothing reads, and the next
    // compaction deletes it again.
    for (const s of obsolete) {
      for await (const entry of part.kv.list({ prefix: piecesPrefix(s) })) {
        await batcher.delete(entry.key);
      }
      await batcher.delete(indexKey(s));
    }
    // Filtered from the group as it is now: a write may have added to it meanwhile.
    part.groups.set(id, part.groups.get(id)!.filter((s) => !obsolete.has(s)));
    for (const s of obsolete) part.listed.delete(segmentKey(s));
  }
  for (const e of [...part.commitTimes.keys()]) {
    if (e < keepFrom) {
      await batcher.delete(["epoch", e]);
      part.commitTimes.delete(e);
    }
  }
  await batcher.flush();
}

async function releaseLock(part: OpenPartition, owner: string): Promise<void> {
  const entry = await part.kv.get(LOCK);
  if (entry.versionstamp === null) return;
  const holder = decodeRecord<LockRecord>(part.path, LOCK, entry.value, ["owner"]);
  if (holder.owner !== owner) return;
  await part.kv.atomic().check({ key: LOCK, versionstamp: entry.versionstamp }).delete(LOCK)
    .commit();
}

// Starts a store over: everything but its identity and the lock goes.
async function wipe(part: OpenPartition): Promise<void> {
  const batcher = new CommitBatcher(part.kv);
  for await (const entry of part.kv.list({ prefix: [] })) {
    const first = entry.key[0];
    if (first === "meta" || first === "lock" || first === "exec") continue;
    await batcher.delete(entry.key);
  }
  await batcher.flush();
}
