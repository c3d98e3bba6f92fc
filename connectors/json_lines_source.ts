/**
 * {@linkcode JsonLinesSource}: one JSON value per line of a file.
 *
 * @module
 */

import type { FixedPartitionedSource, StatefulSourcePartition } from "../src/dataflow/inputs.ts";
import { countLines, LineFileReader, SingleFile } from "./_files.ts";

/**
 * Options for {@linkcode JsonLinesSource}.
 *
 * @example Partitions named by device, values in batches of two
 * ```ts
 * import { Dataflow } from "@runnel/runnel";
 * import { JsonLinesSource, type JsonLinesSourceOptions } from "@runnel/runnel/connectors";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/n.jsonl`;
 * await Deno.writeTextFile(path, "1\n2\n3\n");
 * const options: JsonLinesSourceOptions = { batchSize: 2, fsId: "device" };
 * const source = new JsonLinesSource<number>(path, options);
 * const [part] = await source.listParts();
 * assert.ok(part.endsWith(`::${path}`), part);
 * const flow = new Dataflow("f");
 * const batches = flow.input("inp", source).flatMapBatch("batches", (values) => [values]);
 * assert.deepEqual(await Array.fromAsync(batches), [[1, 2], [3]]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface JsonLinesSourceOptions {
  /** The most values per batch. Defaults to `1000`. */
  batchSize?: number;
  /** Bytes per read. Defaults to 64 KiB. */
  chunkSize?: number;
  /**
   * How processes tell whether they see the same file: `"shared"` (the
   * default) names the partition by its path, `"device"` by device id and
   * path; see `FileSourceOptions.fsId`.
   */
  fsId?: "shared" | "device";
}

/**
 * Reads a [JSON Lines](https://jsonlines.org) file: one partition, named by
 * the path, whose items are the values parsed from each line with
 * `JSON.parse`. Blank lines are skipped; `\n` and `\r\n` both end a line.
 * The file is read in chunks, never loaded whole.
 *
 * A line that is not valid JSON stops the flow with a `SyntaxError` naming
 * the file and the line number (counted from 1, blank lines included). The
 * values of the lines before it are delivered first, whatever the batch size.
 *
 * **Resume: exactly-once.** The snapshot is the byte offset of the next
 * unread line; on resume parsing starts there.
 *
 * @typeParam T The type of the values in the file (not checked).
 *
 * @example Reading JSON values, one per line
 * ```ts
 * import { JsonLinesSource } from "@runnel/runnel/connectors";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/events.jsonl`;
 * await Deno.writeTextFile(path, '{"user":"a","n":1}\n\n{"user":"b","n":2}\n');
 *
 * const source = new JsonLinesSource<{ user: string; n: number }>(path);
 * const [part] = await source.listParts();
 * const reader = await source.buildPart("demo.inp", part, undefined);
 * assert.deepEqual(await reader.nextBatch(), [{ user: "a", n: 1 }, { user: "b", n: 2 }]);
 * assert.equal(await reader.nextBatch(), null);
 * await reader.close?.();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @example A malformed line names its line number, after the lines before it
 * ```ts
 * import { JsonLinesSource } from "@runnel/runnel/connectors";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/bad.jsonl`;
 * await Deno.writeTextFile(path, "1\n2\n{oops}\n");
 *
 * const source = new JsonLinesSource(path);
 * const reader = await source.buildPart("demo.inp", path, undefined);
 * assert.deepEqual(await reader.nextBatch(), [1, 2]);
 * await assert.rejects(async () => await reader.nextBatch(), (error: Error) => {
 *   assert.ok(error instanceof SyntaxError);
 *   assert.ok(error.message.startsWith(`Cannot parse JSON Lines file "${path}": line 3: `));
 *   return true;
 * });
 * await reader.close?.();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class JsonLinesSource<T = unknown> implements FixedPartitionedSource<T, number> {
  readonly #file: SingleFile;

  /**
   * Creates a source reading the JSON Lines file at `path`.
   *
   * @param path The file to read.
   * @param options Batch size, read size and how partitions are named.
   */
  constructor(path: string, options: JsonLinesSourceOptions = {}) {
    this.#file = new SingleFile("JSON Lines source", path, options);
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
   * @param forPart The name {@linkcode JsonLinesSource.listParts} returned.
   * @param resumeState The byte offset from a snapshot, or `undefined` to start at the beginning.
   * @returns The partition reader.
   */
  async buildPart(
    _stepId: string,
    forPart: string,
    resumeState: number | undefined,
  ): Promise<StatefulSourcePartition<T, number>> {
    this.#file.checkPart(forPart);
    const { label, path, batchSize, chunkSize } = this.#file;
    const offset = await this.#file.resumeOffset(resumeState);
    const reader = await LineFileReader.open(label, path, offset, chunkSize);
    return new JsonLinesPartition<T>(path, reader, offset, batchSize);
  }
}

class JsonLinesPartition<T> implements StatefulSourcePartition<T, number> {
  #path: string;
  #reader: LineFileReader;
  #startOffset: number;
  #batchSize: number;
  // A parse error found after good lines of the same batch waits here until
  // they are delivered; the snapshot then points at the bad line.
  #error: SyntaxError | undefined;
  #errorOffset = 0;

  constructor(path: string, reader: LineFileReader, startOffset: number, batchSize: number) {
    this.#path = path;
    this.#reader = reader;
    this.#startOffset = startOffset;
    this.#batchSize = batchSize;
  }

  async nextBatch(): Promise<T[] | null> {
    if (this.#error !== undefined) throw this.#error;
    const values: T[] = [];
    const ends: number[] = [];
    // Blank lines yield nothing, so read on until the batch has values or the file ends.
    while (values.length < this.#batchSize) {
      const before = this.#reader.linesTaken;
      const start = this.#reader.offset;
      ends.length = 0;
      const lines = await this.#reader.next(this.#batchSize - values.length, ends);
      if (lines === null) return values.length === 0 ? null : values;
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        if (line.trim() === "") continue;
        try {
          values.push(JSON.parse(line));
        } catch (error) {
          this.#error = await this.#parseError(before + i, error);
          this.#errorOffset = i === 0 ? start : ends[i - 1];
          // Every good line before the bad one is delivered first, however the lines are batched.
          if (values.length === 0) throw this.#error;
          return values;
        }
      }
    }
    return values;
  }

  snapshot(): number {
    return this.#error === undefined ? this.#reader.offset : this.#errorOffset;
  }

  close(): Promise<void> {
    return this.#reader.close();
  }

  async #parseError(index: number, cause: unknown): Promise<SyntaxError> {
    // After a resume only the byte offset is known; count the lines before it.
    const line = (await countLines(this.#path, this.#startOffset)) + index + 1;
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new SyntaxError(
      `Cannot parse JSON Lines file "${this.#path}": line ${line}: ${reason}`,
      {
        cause,
      },
    );
  }
}
