/**
 * {@linkcode FileSource}: the lines of one file.
 *
 * @module
 */

import type { FixedPartitionedSource, StatefulSourcePartition } from "../src/dataflow/inputs.ts";
import { LinePartition, SingleFile } from "./_files.ts";

/**
 * Options for {@linkcode FileSource}.
 *
 * @example Lines in batches of two
 * ```ts
 * import { Dataflow } from "@runnel/runnel";
 * import { FileSource, type FileSourceOptions } from "@runnel/runnel/connectors";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/lines.txt`, "a\nb\nc\nd\ne\n");
 * const options: FileSourceOptions = { batchSize: 2, chunkSize: 4 };
 * const flow = new Dataflow("f");
 * const sizes = flow.input("inp", new FileSource(`${dir}/lines.txt`, options))
 *   .flatMapBatch("sizes", (lines) => [lines.length]);
 * assert.deepEqual(await Array.fromAsync(sizes), [2, 2, 1]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface FileSourceOptions {
  /** The most lines per batch. Defaults to `1000`. */
  batchSize?: number;
  /** Bytes per read. Defaults to 64 KiB. */
  chunkSize?: number;
  /**
   * How processes tell whether they see the same file. `"shared"` (the
   * default) names the partition by its path, so however many processes list
   * it, one worker reads it. `"device"` prefixes the file system's device id
   * (Bytewax's default), so same-named local files on different hosts are
   * each read once.
   */
  fsId?: "shared" | "device";
}

/**
 * Reads a text file line by line: one partition, named by the path, whose
 * items are the lines without their `\n` or `\r\n` terminator. A last line
 * without a terminator is read too; a UTF-8 byte order mark is dropped.
 *
 * The file is read in chunks and decoded as UTF-8, never loaded whole; each
 * batch holds up to `batchSize` lines and the partition ends at end of file.
 *
 * **Resume: exactly-once.** The snapshot is the byte offset of the next
 * unread line; on resume reading starts there, so no line is lost or read
 * twice. A snapshot past the end of the file (it was replaced) is an error.
 *
 * @example Reading lines and resuming from a snapshot
 * ```ts
 * import { FileSource } from "@runnel/runnel/connectors";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/lines.txt`;
 * await Deno.writeTextFile(path, "one\ntwo\r\nthree");
 *
 * const source = new FileSource(path, { batchSize: 2 });
 * const [part] = await source.listParts();
 * const reader = await source.buildPart("demo.inp", part, undefined);
 * assert.deepEqual(await reader.nextBatch(), ["one", "two"]);
 * const offset = reader.snapshot();
 * assert.equal(offset, 9);
 * await reader.close?.();
 *
 * // After a crash, the partition is rebuilt from its snapshot.
 * const resumed = await source.buildPart("demo.inp", part, offset);
 * assert.deepEqual(await resumed.nextBatch(), ["three"]);
 * assert.equal(await resumed.nextBatch(), null);
 * await resumed.close?.();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class FileSource implements FixedPartitionedSource<string, number> {
  readonly #file: SingleFile;

  /**
   * Creates a source reading the lines of `path`.
   *
   * @param path The file to read.
   * @param options Batch size, read size and how partitions are named.
   */
  constructor(path: string, options: FileSourceOptions = {}) {
    this.#file = new SingleFile("file source", path, options);
  }

  /**
   * The one partition: the path (with `fsId: "device"`, `"<device>::<path>"`).
   *
   * @returns A one-element list.
   * @throws {Error} When the file does not exist or is not a regular file.
   */
  listParts(): Promise<string[]> {
    return this.#file.listParts();
  }

  /**
   * Opens the file at the resume offset.
   *
   * @param _stepId The input step's id (unused).
   * @param forPart The name {@linkcode FileSource.listParts} returned.
   * @param resumeState The byte offset from a snapshot, or `undefined` to start at the beginning.
   * @returns The partition reader.
   */
  async buildPart(
    _stepId: string,
    forPart: string,
    resumeState: number | undefined,
  ): Promise<StatefulSourcePartition<string, number>> {
    this.#file.checkPart(forPart);
    const { label, path, batchSize, chunkSize } = this.#file;
    return await LinePartition.open(label, path, resumeState, { batchSize, chunkSize });
  }
}
