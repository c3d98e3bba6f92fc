/**
 * The layout of a recovery directory, shared by the store and the inspector:
 * its partition files, their KV keys, and reading and writing segments.
 *
 * A recovery directory holds N partitions, `part-0.kv` … `part-{N-1}.kv`,
 * each a Deno KV database. A row of (step, key) lives in partition
 * `h % N` and bucket `floor(h / N) % B`, with `h = stableHash(step + "\0" + key)`.
 * Each partition holds:
 *
 * - `["meta"]`: the store's id, the partition's index, the partition and
 *   bucket counts (written once by `init`);
 * - `["flow"]`: the id of the flow the store belongs to;
 * - `["commit"]`: the partition's last committed epoch and when;
 * - `["epoch", e]`: when epoch `e` was committed (for `backup`);
 * - `["floor"]`: the oldest epoch the partition can still rebuild, once
 *   compaction deleted older segments;
 * - `["idx", e, step, bucket, writer]`: one segment: the rows of (step,
 *   bucket) one write of epoch `e` gave (a delta), or, with writer 0, every
 *   live row of (step, bucket) as of `e` (a base, written by compaction);
 * - `["seg", e, step, bucket, writer, i]`: the segment's bytes, in pieces of
 *   at most 64 KiB: `encodeValue([keys, states])`, a tombstone's state `null`;
 * - `["pending", e, step, bucket, writer]`: a base being written (its pieces
 *   are removed if the writer died before its index entry was written);
 * - partition 0 only: `["lock"]` (the run holding the store) and
 *   `["exec", n]` (each run that opened it).
 *
 * A store on a remote server (an `http:` or `https:` URL, see `_remote.ts`)
 * is one partition, the database at that URL, with the same keys.
 *
 * @module
 */

import { stableHash } from "../../dataflow/stable_hash.ts";
import { decodeValue, encodeValue } from "../exchange/codec.ts";
import { type KvDatabase, type KvKey, platform } from "../platform/platform.ts";
import { isKvUrl, openRemoteKv } from "./_remote.ts";
import { RecoveryStoreError } from "./store_error.ts";

export { RecoveryStoreError };

/** The layout version `init` writes; `open` refuses others. */
export const FORMAT = 1;
/** Buckets per step in each partition, unless `init` is told otherwise. */
export const DEFAULT_BUCKETS = 32;
/** Deno KV's limit on a value. */
export const MAX_VALUE_BYTES = 64 * 1024;
/** Deno KV's limit on mutations in one atomic commit. */
export const MAX_COMMIT_MUTATIONS = 1000;
/** Deno KV's limit on the bytes of one atomic commit (800 KiB), less room for key overhead. */
export const MAX_COMMIT_BYTES = 800 * 1024 - 16 * 1024;
/** The longest step id, in UTF-8 bytes, that fits a KV key with room to spare. */
export const MAX_STEP_ID_BYTES = 1024;

/** The partition's identity, written by `init`. */
export const META: KvKey = ["meta"];
/** The id of the flow the store belongs to. */
export const FLOW: KvKey = ["flow"];
/** The partition's last committed epoch. */
export const COMMIT: KvKey = ["commit"];
/** The run holding the store (partition 0 only). */
export const LOCK: KvKey = ["lock"];
/** The oldest epoch the partition can still rebuild. */
export const FLOOR: KvKey = ["floor"];

/** What `["meta"]` holds. */
export interface PartitionMeta {
  readonly format: number;
  readonly store: string;
  readonly partition: number;
  readonly partitions: number;
  readonly buckets: number;
  readonly created: number;
}

/** One segment, as its index entry describes it. */
export interface SegmentInfo {
  readonly epoch: number;
  readonly step: string;
  readonly bucket: number;
  /** 0 for a base, else the write that made the delta. */
  readonly writer: number;
  /** How many pieces its bytes are cut in. */
  readonly pieces: number;
  /** Its encoded length. */
  readonly bytes: number;
  /** Rows in it (tombstones included). */
  readonly rows: number;
}

/** A partition file, opened. */
export interface OpenPartition {
  readonly index: number;
  readonly path: string;
  readonly kv: KvDatabase;
  readonly meta: PartitionMeta;
}

/**
 * The file of partition `index` of the recovery directory `dir`; for a
 * remote store (a URL), its one partition is the URL itself.
 */
export function partitionPath(dir: string, index: number): string {
  if (isKvUrl(dir)) return dir;
  return `${dir.replace(/\/+$/, "")}/part-${index}.kv`;
}

/**
 * Opens a partition's database: a file, or the database at a remote store's URL.
 *
 * @param path The partition's file or URL.
 * @returns The database.
 */
export function openKvAt(path: string): Promise<KvDatabase> {
  return isKvUrl(path) ? openRemoteKv(path) : platform.openKv(path);
}

/** Which partition and bucket the row (step, key) belongs in. */
export function placeRow(
  step: string,
  key: string,
  partitions: number,
  buckets: number,
): { partition: number; bucket: number } {
  const hash = stableHash(`${step}\0${key}`);
  return { partition: hash % partitions, bucket: Math.floor(hash / partitions) % buckets };
}

/** A value read from a partition: its bytes, or a clear error naming the file. */
export function bytesOf(path: string, key: KvKey, value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  throw new RecoveryStoreError(
    path,
    `The recovery partition ${path} is corrupt: its entry ${JSON.stringify(key)} holds ` +
      `${value === null ? "nothing" : `a value of another kind (${typeof value})`}, not the ` +
      "bytes runnel writes",
  );
}

/** Decodes a small record (meta, commit, lock …) or fails naming the file and key. */
export function decodeRecord<T extends object>(
  path: string,
  key: KvKey,
  value: unknown,
  fields: readonly (keyof T & string)[],
): T {
  const bytes = bytesOf(path, key, value);
  let decoded: unknown;
  try {
    decoded = decodeValue(bytes);
  } catch (error) {
    throw new RecoveryStoreError(
      path,
      `The recovery partition ${path} is corrupt: its entry ${JSON.stringify(key)} ` +
        `(${bytes.length} bytes) cannot be decoded: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (
    decoded === null || typeof decoded !== "object" ||
    fields.some((field) => !(field in (decoded as object)))
  ) {
    throw new RecoveryStoreError(
      path,
      `The recovery partition ${path} is corrupt: its entry ${JSON.stringify(key)} ` +
        `lacks one of ${fields.join(", ")}`,
    );
  }
  return decoded as T;
}

/** Encodes a small record. */
export function encodeRecord(record: object): Uint8Array {
  return encodeValue(record);
}

function files(dir: string): Promise<string[]> {
  return platform.readDir(dir).then(
    (entries) =>
      entries.filter((e) => e.isFile && /^part-\d+\.kv$/.test(e.name)).map((e) => e.name),
    (error) => {
      if (platform.isNotFound(error)) {
        throw new RecoveryStoreError(
          dir,
          `The recovery directory ${dir} does not exist; create it with ` +
            "'runnel recovery init DIR N'",
        );
      }
      throw new RecoveryStoreError(
        dir,
        `Cannot read the recovery directory ${dir}: ${(error as Error)?.message ?? String(error)}`,
        { cause: error },
      );
    },
  );
}

/**
 * Opens every partition of `dir` and checks that they form one store: each
 * file present, of this layout, of the same store, with its own index.
 * Closes what it opened when a check fails.
 */
export async function openPartitions(dir: string): Promise<OpenPartition[]> {
  if (isKvUrl(dir)) {
    const part = await openChecked(dir, 0);
    if (part.meta.partitions !== 1) {
      part.kv.close();
      throw new RecoveryStoreError(
        dir,
        `The recovery store ${dir} claims ${part.meta.partitions} partitions, but a store on a ` +
          "server holds exactly one",
      );
    }
    return [part];
  }
  const names = await files(dir);
  if (names.length === 0) {
    throw new RecoveryStoreError(
      dir,
      `The recovery directory ${dir} holds no partitions (part-0.kv …); ` +
        "create them with 'runnel recovery init DIR N'",
    );
  }
  const opened: OpenPartition[] = [];
  try {
    const first = await openOne(dir, 0);
    opened.push(first);
    const { partitions, store } = first.meta;
    for (let i = 1; i < partitions; i++) {
      const part = await openOne(dir, i);
      opened.push(part);
      if (part.meta.store !== store || part.meta.partitions !== partitions) {
        throw new RecoveryStoreError(
          part.path,
          `The recovery partition ${part.path} belongs to another store (store ${part.meta.store} ` +
            `of ${part.meta.partitions} partitions) than ${first.path} (store ${store} of ` +
            `${partitions}): partitions of different stores are mixed in ${dir}`,
        );
      }
    }
    for (const name of names) {
      const index = Number(name.slice(5, -3));
      if (index >= partitions) {
        const path = partitionPath(dir, index);
        throw new RecoveryStoreError(
          path,
          `The recovery partition ${path} is not part of the store in ${dir}, which has ` +
            `${partitions} partitions (part-0.kv … part-${partitions - 1}.kv): ` +
            "partitions of different stores are mixed",
        );
      }
    }
    return opened;
  } catch (error) {
    for (const part of opened) part.kv.close();
    throw error;
  }
}

async function openOne(dir: string, index: number): Promise<OpenPartition> {
  const path = partitionPath(dir, index);
  // Opening a missing file would create an empty one: check first.
  try {
    await platform.stat(path);
  } catch (error) {
    if (!platform.isNotFound(error)) throw error;
    throw new RecoveryStoreError(
      path,
      `The recovery partition ${path} is missing: the store in ${dir} needs it; ` +
        "restore it from a backup, or start over with --fresh after 'runnel recovery init'",
    );
  }
  return await openChecked(path, index);
}

// Opens partition `index` at `path` and checks that it is one.
async function openChecked(path: string, index: number): Promise<OpenPartition> {
  let kv: KvDatabase;
  try {
    kv = await openKvAt(path);
  } catch (error) {
    if (error instanceof RecoveryStoreError) throw error;
    throw new RecoveryStoreError(
      path,
      `Cannot open the recovery partition ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  try {
    const entry = await kv.get(META);
    if (entry.versionstamp === null) {
      throw new RecoveryStoreError(
        path,
        `The recovery partition ${path} is not a runnel recovery partition (it has no ` +
          "[\"meta\"] entry); create stores with 'runnel recovery init DIR N' (or " +
          "'runnel recovery init URL' on a server)",
      );
    }
    const meta = decodeRecord<PartitionMeta>(path, META, entry.value, [
      "format",
      "store",
      "partition",
      "partitions",
      "buckets",
    ]);
    if (meta.format !== FORMAT) {
      throw new RecoveryStoreError(
        path,
        `The recovery partition ${path} has layout version ${meta.format}; this runnel reads ${FORMAT}`,
      );
    }
    if (meta.partition !== index) {
      throw new RecoveryStoreError(
        path,
        `The recovery partition ${path} is partition ${meta.partition} of its store, not ${index}: ` +
          "a file was renamed or copied over another",
      );
    }
    return { index, path, kv, meta };
  } catch (error) {
    kv.close();
    throw error;
  }
}

/**
 * Every segment index entry of a partition, with the pending bases, in key
 * order; with `fromEpoch`, those of epochs from it on only.
 */
export async function readIndex(
  part: OpenPartition,
  fromEpoch = 0,
): Promise<{ segments: SegmentInfo[]; pending: SegmentInfo[] }> {
  const segments: SegmentInfo[] = [];
  const pending: SegmentInfo[] = [];
  for (const [prefix, into] of [["idx", segments], ["pending", pending]] as const) {
    const selector = fromEpoch > 0
      ? { prefix: [prefix], start: [prefix, fromEpoch] }
      : { prefix: [prefix] };
    for await (const entry of part.kv.list(selector)) {
      const [, epoch, step, bucket, writer] = entry.key;
      if (
        typeof epoch !== "number" || typeof step !== "string" || typeof bucket !== "number" ||
        typeof writer !== "number"
      ) {
        throw new RecoveryStoreError(
          part.path,
          `The recovery partition ${part.path} is corrupt: a segment key ` +
            `${JSON.stringify(entry.key, (_, v) => typeof v === "bigint" ? String(v) : v)} ` +
            "is not (epoch, step, bucket, writer)",
        );
      }
      const info = decodeRecord<{ pieces: number; bytes: number; rows: number }>(
        part.path,
        entry.key,
        entry.value,
        ["pieces", "bytes", "rows"],
      );
      into.push({
        epoch,
        step,
        bucket,
        writer,
        pieces: info.pieces,
        bytes: info.bytes,
        rows: info.rows,
      });
    }
  }
  return { segments, pending };
}

/** The KV key of a segment's index entry. */
export function indexKey(s: Pick<SegmentInfo, "epoch" | "step" | "bucket" | "writer">): KvKey {
  return ["idx", s.epoch, s.step, s.bucket, s.writer];
}

/** The KV key prefix of a segment's pieces. */
export function piecesPrefix(s: Pick<SegmentInfo, "epoch" | "step" | "bucket" | "writer">): KvKey {
  return ["seg", s.epoch, s.step, s.bucket, s.writer];
}

/** The KV key of a pending base's marker. */
export function pendingKey(s: Pick<SegmentInfo, "epoch" | "step" | "bucket" | "writer">): KvKey {
  return ["pending", s.epoch, s.step, s.bucket, s.writer];
}

/** A segment's rows: keys, and for each its state or `null` for a tombstone. */
export interface SegmentRows {
  readonly keys: string[];
  readonly states: (Uint8Array | null)[];
}

/** Reads and decodes one segment, checking that every piece is there and whole. */
export async function readSegment(part: OpenPartition, info: SegmentInfo): Promise<SegmentRows> {
  const pieces: Uint8Array[] = [];
  let length = 0;
  const prefix = piecesPrefix(info);
  for await (const entry of part.kv.list({ prefix })) {
    const piece = bytesOf(part.path, entry.key, entry.value);
    pieces.push(piece);
    length += piece.length;
  }
  const where = `segment ${JSON.stringify(indexKey(info).slice(1))}`;
  if (pieces.length !== info.pieces || length !== info.bytes) {
    throw new RecoveryStoreError(
      part.path,
      `The recovery partition ${part.path} is corrupt: ${where} should have ${info.pieces} ` +
        `pieces of ${info.bytes} bytes in all, found ${pieces.length} of ${length} bytes (truncated?)`,
    );
  }
  let bytes: Uint8Array;
  if (pieces.length === 1) bytes = pieces[0]!;
  else {
    bytes = new Uint8Array(length);
    let at = 0;
    for (const piece of pieces) {
      bytes.set(piece, at);
      at += piece.length;
    }
  }
  let decoded: unknown;
  try {
    decoded = decodeValue(bytes);
  } catch (error) {
    throw new RecoveryStoreError(
      part.path,
      `The recovery partition ${part.path} is corrupt: ${where} cannot be decoded: ` +
        (error as Error).message,
      { cause: error },
    );
  }
  if (
    !Array.isArray(decoded) || decoded.length !== 2 || !Array.isArray(decoded[0]) ||
    !Array.isArray(decoded[1]) || decoded[0].length !== decoded[1].length ||
    decoded[0].length !== info.rows
  ) {
    throw new RecoveryStoreError(
      part.path,
      `The recovery partition ${part.path} is corrupt: ${where} is not ${info.rows} rows of ` +
        "keys and states",
    );
  }
  return { keys: decoded[0] as string[], states: decoded[1] as (Uint8Array | null)[] };
}

/**
 * The segments to read for (step, bucket) as of `epoch`: the latest base at
 * or before it, then the deltas after that base, in write order.
 */
export function segmentsAsOf(segments: readonly SegmentInfo[], epoch: number): SegmentInfo[] {
  let base: SegmentInfo | undefined;
  for (const s of segments) {
    if (s.writer === 0 && s.epoch <= epoch && (base === undefined || s.epoch > base.epoch)) {
      base = s;
    }
  }
  const from = base?.epoch ?? -Infinity;
  const deltas = segments.filter((s) => s.writer !== 0 && s.epoch > from && s.epoch <= epoch);
  deltas.sort((a, b) => a.epoch - b.epoch || a.writer - b.writer);
  return base === undefined ? deltas : [base, ...deltas];
}

/** Applies a segment's rows to a step's live keys: a tombstone removes its key. */
export function applyRows(into: Map<string, Uint8Array>, rows: SegmentRows): void {
  const { keys, states } = rows;
  for (let i = 0; i < keys.length; i++) {
    const state = states[i];
    if (state === null || state === undefined) into.delete(keys[i]!);
    else into.set(keys[i]!, state);
  }
}

/** Groups segments by (step, bucket). */
export function groupSegments(segments: readonly SegmentInfo[]): Map<string, SegmentInfo[]> {
  const groups = new Map<string, SegmentInfo[]>();
  for (const s of segments) {
    const id = groupId(s.step, s.bucket);
    let group = groups.get(id);
    if (group === undefined) groups.set(id, group = []);
    group.push(s);
  }
  return groups;
}

/** The id of a (step, bucket) group. */
export function groupId(step: string, bucket: number): string {
  return `${bucket}\0${step}`;
}

/**
 * Batches writes into atomic commits under Deno KV's limits, committing in
 * order, so that a write queued after others lands with or after them.
 */
export class CommitBatcher {
  #kv: KvDatabase;
  #ops: { key: KvKey; value: Uint8Array | undefined }[] = [];
  #bytes = 0;

  constructor(kv: KvDatabase) {
    this.#kv = kv;
  }

  /** Queues setting `key` to `value`, committing what is queued first if it would not fit. */
  async set(key: KvKey, value: Uint8Array): Promise<void> {
    await this.#add(key, value, keySize(key) + value.length);
  }

  /** Queues deleting `key`. */
  async delete(key: KvKey): Promise<void> {
    await this.#add(key, undefined, keySize(key));
  }

  async #add(key: KvKey, value: Uint8Array | undefined, size: number): Promise<void> {
    if (this.#ops.length >= MAX_COMMIT_MUTATIONS || this.#bytes + size > MAX_COMMIT_BYTES) {
      await this.flush();
    }
    this.#ops.push({ key, value });
    this.#bytes += size;
  }

  /** Commits what is queued. */
  async flush(): Promise<void> {
    if (this.#ops.length === 0) return;
    const op = this.#kv.atomic();
    for (const { key, value } of this.#ops) {
      if (value === undefined) op.delete(key);
      else op.set(key, value);
    }
    this.#ops = [];
    this.#bytes = 0;
    const result = await op.commit();
    if (!result.ok) throw new Error("Deno KV refused an unchecked commit");
  }
}

const utf8 = new TextEncoder();

// An upper bound of a key's encoded size: a type tag and terminator per part.
function keySize(key: KvKey): number {
  let size = 0;
  for (const part of key) {
    size += typeof part === "string" ? utf8.encode(part).length * 2 + 2 : 10;
  }
  return size;
}

/** Cuts bytes into pieces of at most one KV value each (views, not copies). */
export function cutPieces(bytes: Uint8Array): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += MAX_VALUE_BYTES) {
    pieces.push(bytes.subarray(at, Math.min(bytes.length, at + MAX_VALUE_BYTES)));
  }
  if (pieces.length === 0) pieces.push(bytes);
  return pieces;
}

/** The UTF-8 length of a string. */
export function utf8Length(text: string): number {
  return utf8.encode(text).length;
}
