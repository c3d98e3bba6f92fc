/**
 * {@linkcode DirSink}: write lines to a fixed set of files in a directory,
 * the key choosing the file.
 *
 * @module
 */

import type { FixedPartitionedSink, StatefulSinkPartition } from "../src/dataflow/outputs.ts";
import { stableHash } from "../src/dataflow/stable_hash.ts";
import { platform } from "../src/runtime/platform/platform.ts";
import { checkPath, checkPositiveInteger, joinPath } from "./_files.ts";
import { FileSinkPartition } from "./_file_sink_partition.ts";

/**
 * Options for {@linkcode DirSink}.
 *
 * @example Two named files, each key in one of them
 * ```ts
 * import { Dataflow, run } from "@runnel/runnel";
 * import { DirSink, type DirSinkOptions } from "@runnel/runnel/connectors";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const options: DirSinkOptions = {
 *   fileCount: 2,
 *   fileNamer: (index, count) => `part-${index + 1}-of-${count}.txt`,
 * };
 * const flow = new Dataflow("f");
 * flow.input("inp", [["apple", "a1"], ["banana", "b1"], ["apple", "a2"]] as [string, string][])
 *   .output("out", new DirSink(`${dir}/out`, options));
 * await run(flow);
 * // The key's stable hash picks the file, the same one in every run.
 * const read = (name: string) => Deno.readTextFile(`${dir}/out/${name}`);
 * assert.equal(await read("part-1-of-2.txt"), "b1\n");
 * assert.equal(await read("part-2-of-2.txt"), "a1\na2\n");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface DirSinkOptions {
  /** How many files to write. */
  fileCount: number;
  /**
   * Names file `index` of `count`; names must be distinct and contain no `/`.
   * Defaults to `part_${index}`.
   */
  fileNamer?: (index: number, count: number) => string;
  /** Written after every value. Defaults to `"\n"`. */
  end?: string;
}

/**
 * Writes a keyed stream of strings to `fileCount` files in a directory,
 * created if missing: it consumes `[key, value]` items, and the key picks the
 * file, `fileNamer(stableHash(key) % fileCount)`. The choice depends on the
 * key alone, so a key lands in the same file in every run, on every runtime
 * and worker count. Each partition behaves like a {@linkcode FileSink}: a
 * fresh run empties its file, it is synced at every epoch's barrier,
 * values must be strings.
 *
 * **Resume: exactly-once** (with a resumable source). Each file's snapshot is
 * the byte offset written; on resume each file is truncated to it.
 *
 * @example Spreading keys over two files
 * ```ts
 * import { DirSink } from "@runnel/runnel/connectors";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const sink = new DirSink(`${dir}/out`, { fileCount: 2 });
 * assert.deepEqual(await sink.listParts(), ["part_0", "part_1"]);
 *
 * // The runtime routes each [key, value] item to the partition partFn picks.
 * const items: [string, string][] = [["apple", "a1"], ["banana", "b1"], ["apple", "a2"]];
 * const parts = await sink.listParts();
 * const writers = await Promise.all(parts.map((part) => sink.buildPart("demo.out", part, undefined)));
 * for (const [key, value] of items) await writers[sink.partFn(key)].writeBatch([value]);
 * for (const writer of writers) await writer.close?.();
 *
 * const appleFile = parts[sink.partFn("apple")];
 * assert.equal(await Deno.readTextFile(`${dir}/out/${appleFile}`), "a1\na2\n");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class DirSink implements FixedPartitionedSink<string, number> {
  #dir: string;
  #label: string;
  #end: string;
  #names: string[];
  // partFn answers with an index into the sorted partition list, which need
  // not follow the namer's order ("part_10" sorts before "part_2").
  #sortedIndexOf: number[];

  /**
   * Creates a sink writing `fileCount` files in `dir`.
   *
   * @param dir The directory to write into; created if missing.
   * @param options How many files, how to name them, and what ends each value.
   * @throws {RangeError} When `fileCount` is not a positive integer or names repeat.
   */
  constructor(dir: string, options: DirSinkOptions) {
    this.#dir = checkPath("directory sink", "dir", dir);
    this.#label = `directory sink "${dir}"`;
    const { fileCount, fileNamer, end } = options ?? ({} as Partial<DirSinkOptions>);
    const count = checkPositiveInteger(this.#label, "fileCount", fileCount);
    const namer = fileNamer ?? ((index: number) => `part_${index}`);
    this.#end = end ?? "\n";
    if (typeof this.#end !== "string") {
      throw new TypeError(`Cannot create ${this.#label}: end must be a string`);
    }
    this.#names = [];
    for (let index = 0; index < count; index++) {
      const name = namer(index, count);
      if (typeof name !== "string" || name === "" || name.includes("/")) {
        throw new TypeError(
          `Cannot create ${this.#label}: fileNamer(${index}, ${count}) must return a file ` +
            `name, got ${JSON.stringify(name)}`,
        );
      }
      if (this.#names.includes(name)) {
        throw new RangeError(
          `Cannot create ${this.#label}: fileNamer gave "${name}" for two files`,
        );
      }
      this.#names.push(name);
    }
    const sorted = [...this.#names].sort();
    this.#sortedIndexOf = this.#names.map((name) => sorted.indexOf(name));
  }

  /**
   * One partition per file, named by the file name (not the path).
   *
   * @returns The file names, sorted.
   */
  listParts(): string[] {
    return [...this.#names].sort();
  }

  /**
   * Picks the file for a key: `fileNamer(stableHash(key) % fileCount)`.
   *
   * @param key The item's key.
   * @returns That file's index in the sorted {@linkcode DirSink.listParts}.
   */
  partFn(key: string): number {
    return this.#sortedIndexOf[stableHash(key) % this.#names.length];
  }

  /**
   * Creates the directory if needed and opens one file, truncated to the
   * resume offset (emptied on a fresh start).
   *
   * @param _stepId The output step's id (unused).
   * @param forPart A name {@linkcode DirSink.listParts} returned.
   * @param resumeState The byte offset from a snapshot, or `undefined` on a fresh start.
   * @returns The partition writer.
   */
  async buildPart(
    _stepId: string,
    forPart: string,
    resumeState: number | undefined,
  ): Promise<StatefulSinkPartition<string, number>> {
    if (!this.#names.includes(forPart)) {
      throw new RangeError(`Cannot build ${this.#label}: unknown partition "${forPart}"`);
    }
    try {
      await platform.mkdir(this.#dir);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`Cannot open ${this.#label}: ${reason}`, { cause: error });
    }
    const label = `${this.#label} (file "${forPart}")`;
    return await FileSinkPartition.open(
      label,
      joinPath(this.#dir, forPart),
      resumeState,
      this.#end,
    );
  }
}
