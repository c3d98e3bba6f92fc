/**
 * Helpers shared by the file connectors: option checks, partition names,
 * opening files with clear errors, and the line reader behind `FileSource`,
 * `DirSource` and `JsonLinesSource`.
 *
 * @module
 */

import { describeValue } from "../src/dataflow/errors.ts";
import { type FileInfo, type FileReader, platform } from "../src/runtime/platform/platform.ts";
import type { StatefulSourcePartition } from "../src/dataflow/inputs.ts";
import { LineSplitter } from "./_line_splitter.ts";

/** Bytes per read when a source does not say otherwise. */
export const DEFAULT_CHUNK_SIZE = 64 * 1024;

/**
 * How processes decide whether they see the same file: `"shared"` names a
 * partition by its path alone, `"device"` by device id and path.
 */
export type FsId = "shared" | "device";

/** Throws a `RangeError` unless `value` is a positive integer. */
export function checkPositiveInteger(label: string, option: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create ${label}: ${option} must be a positive integer, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Throws a `TypeError` unless `value` is a non-empty string. */
export function checkPath(label: string, option: string, value: unknown): string {
  if (typeof value !== "string" || value === "") {
    throw new TypeError(
      `Cannot create ${label}: ${option} must be a non-empty string, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Joins a directory and a name with `/`, which every runtime accepts, Windows included. */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith("/") || dir.endsWith("\\") ? `${dir}${name}` : `${dir}/${name}`;
}

/** Stats `path`, turning "not found" and "not a file" into errors naming `label`. */
export async function statFile(label: string, path: string): Promise<FileInfo> {
  let info: FileInfo;
  try {
    info = await platform.stat(path);
  } catch (error) {
    throw openError(label, path, error);
  }
  if (!info.isFile) {
    throw new Error(`Cannot open ${label}: ${subject(label, path)} is not a regular file`);
  }
  return info;
}

/** Opens `path` for reading at `offset`, with errors naming `label`. */
export async function openFile(label: string, path: string, offset: number): Promise<FileReader> {
  try {
    return await platform.openRead(path, { offset });
  } catch (error) {
    throw openError(label, path, error);
  }
}

// "file" when the label already names the path, `file "path"` otherwise.
function subject(label: string, path: string): string {
  return label.endsWith(`"${path}"`) ? "file" : `file "${path}"`;
}

function openError(label: string, path: string, error: unknown): Error {
  const what = platform.isNotFound(error)
    ? `${subject(label, path)} not found`
    : `${error instanceof Error ? error.message : describeValue(error)}`;
  return new Error(`Cannot open ${label}: ${what}`, { cause: error });
}

/** The partition name for a file: its path, prefixed by its device id when `fsId` says so. */
export function partName(path: string, info: FileInfo, fsId: FsId): string {
  return fsId === "device" ? `${info.dev.toString(16)}::${path}` : path;
}

/** The path inside a partition name made by {@linkcode partName}. */
export function partPath(forPart: string, fsId: FsId): string {
  if (fsId === "shared") return forPart;
  const separator = forPart.indexOf("::");
  return separator === -1 ? forPart : forPart.slice(separator + 2);
}

/**
 * Checks a source's resume state: a byte offset within the file. A file that
 * shrank since the snapshot was replaced, and reading on would lose data.
 */
export function checkResumeOffset(
  label: string,
  info: FileInfo,
  resumeState: unknown,
): number {
  if (resumeState === undefined) return 0;
  if (typeof resumeState !== "number" || !Number.isSafeInteger(resumeState) || resumeState < 0) {
    throw new TypeError(
      `Cannot resume ${label}: snapshot must be a byte offset, got ${describeValue(resumeState)}`,
    );
  }
  if (resumeState > info.size) {
    throw new RangeError(
      `Cannot resume ${label}: snapshot offset ${resumeState} is past the end of the file ` +
        `(${info.size} bytes); was it replaced?`,
    );
  }
  return resumeState;
}

/**
 * Counts the `\n` bytes in the first `end` bytes of `path`. Errors use it to
 * give a line number after a resume, when only the byte offset is known; it
 * reads the file prefix, so it is for error paths only.
 */
export async function countLines(path: string, end: number): Promise<number> {
  if (end <= 0) return 0;
  const file = await platform.openRead(path);
  const buffer = new Uint8Array(DEFAULT_CHUNK_SIZE);
  let seen = 0;
  let lines = 0;
  try {
    while (seen < end) {
      const n = await file.read(buffer.subarray(0, Math.min(buffer.length, end - seen)));
      if (n === null) break;
      for (let i = 0; i < n; i++) if (buffer[i] === 0x0a) lines++;
      seen += n;
    }
  } finally {
    await file.close();
  }
  return lines;
}

/** Reads lines from a file in chunks, tracking the byte offset of the next unread line. */
export class LineFileReader {
  #file: FileReader;
  #splitter: LineSplitter;
  #chunk: Uint8Array;
  #linesTaken = 0;

  private constructor(file: FileReader, offset: number, chunkSize: number) {
    this.#file = file;
    this.#splitter = new LineSplitter({ offset });
    this.#chunk = new Uint8Array(chunkSize);
  }

  /** Opens `path` at `offset`; errors name `label`. */
  static async open(
    label: string,
    path: string,
    offset: number,
    chunkSize: number,
  ): Promise<LineFileReader> {
    return new LineFileReader(await openFile(label, path, offset), offset, chunkSize);
  }

  /** The byte offset of the next unread line: the resume position. */
  get offset(): number {
    return this.#splitter.offset;
  }

  /** How many lines {@linkcode LineFileReader.next} returned so far. */
  get linesTaken(): number {
    return this.#linesTaken;
  }

  /**
   * Up to `max` lines, reading as many chunks as that takes; `null` once the
   * file is exhausted. The file is closed when it is. When `ends` is given,
   * the byte offset after each line returned is pushed to it.
   */
  async next(max: number, ends?: number[]): Promise<string[] | null> {
    const lines = this.#splitter.take(max, ends);
    while (lines.length < max && !this.#splitter.ended) {
      const n = await this.#file.read(this.#chunk);
      if (n === null) {
        this.#splitter.end();
        await this.#file.close();
      } else {
        this.#splitter.push(this.#chunk.subarray(0, n));
      }
      for (const line of this.#splitter.take(max - lines.length, ends)) lines.push(line);
    }
    this.#linesTaken += lines.length;
    return lines.length === 0 && this.#splitter.done ? null : lines;
  }

  /** Closes the file. Closing twice is harmless. */
  async close(): Promise<void> {
    await this.#file.close();
  }
}

/** A partition of a line-oriented file source: lines in, byte offset as snapshot. */
export class LinePartition implements StatefulSourcePartition<string, number> {
  #reader: LineFileReader;
  #batchSize: number;

  private constructor(reader: LineFileReader, batchSize: number) {
    this.#reader = reader;
    this.#batchSize = batchSize;
  }

  /** Opens `path` at the resume offset, checked against the file's size. */
  static async open(
    label: string,
    path: string,
    resumeState: unknown,
    options: { batchSize: number; chunkSize: number },
  ): Promise<LinePartition> {
    const offset = checkResumeOffset(label, await statFile(label, path), resumeState);
    const reader = await LineFileReader.open(label, path, offset, options.chunkSize);
    return new LinePartition(reader, options.batchSize);
  }

  /** Up to `batchSize` lines, or `null` at end of file. */
  nextBatch(): Promise<string[] | null> {
    return this.#reader.next(this.#batchSize);
  }

  /** The byte offset of the next unread line. */
  snapshot(): number {
    return this.#reader.offset;
  }

  /** Closes the file. */
  close(): Promise<void> {
    return this.#reader.close();
  }
}

/** The options every single-file source takes. */
export interface SingleFileOptions {
  /** The most items per batch. Defaults to `1000`. */
  batchSize?: number;
  /** Bytes per read. Defaults to 64 KiB. */
  chunkSize?: number;
  /** How processes tell whether they see the same file. Defaults to `"shared"`. */
  fsId?: FsId;
}

/**
 * What `FileSource`, `JsonLinesSource` and `CSVSource` share: their checked
 * options, their one partition, and where a resumed read starts.
 */
export class SingleFile {
  /** The file. */
  readonly path: string;
  /** How errors name the source, such as `CSV source "x.csv"`. */
  readonly label: string;
  /** The most items per batch. */
  readonly batchSize: number;
  /** Bytes per read. */
  readonly chunkSize: number;
  /** How the partition is named. */
  readonly fsId: FsId;

  /**
   * @param kind The source's name for errors, such as `"CSV source"`.
   * @param path The file to read.
   * @param options The checked options.
   */
  constructor(kind: string, path: unknown, options: SingleFileOptions) {
    this.path = checkPath(kind, "path", path);
    this.label = `${kind} "${this.path}"`;
    this.batchSize = checkPositiveInteger(this.label, "batchSize", options.batchSize ?? 1000);
    this.chunkSize = checkPositiveInteger(
      this.label,
      "chunkSize",
      options.chunkSize ?? DEFAULT_CHUNK_SIZE,
    );
    this.fsId = options.fsId ?? "shared";
  }

  /** The one partition: the path (with `fsId: "device"`, `"<device>::<path>"`). */
  async listParts(): Promise<string[]> {
    return [partName(this.path, await statFile(this.label, this.path), this.fsId)];
  }

  /** Throws a `RangeError` unless `forPart` names this file. */
  checkPart(forPart: string): void {
    if (partPath(forPart, this.fsId) !== this.path) {
      throw new RangeError(`Cannot build ${this.label}: unknown partition "${forPart}"`);
    }
  }

  /** The byte offset to start reading at, checked against the file's size. */
  async resumeOffset(resumeState: unknown): Promise<number> {
    return checkResumeOffset(this.label, await statFile(this.label, this.path), resumeState);
  }
}
