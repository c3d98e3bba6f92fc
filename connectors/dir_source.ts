/**
 * {@linkcode DirSource}: the lines of every matching file in a directory.
 *
 * @module
 */

import type { FixedPartitionedSource, StatefulSourcePartition } from "../src/dataflow/inputs.ts";
import { platform } from "../src/runtime/platform/platform.ts";
import { globToRegExp } from "./_glob.ts";
import {
  checkPath,
  checkPositiveInteger,
  DEFAULT_CHUNK_SIZE,
  joinPath,
  LinePartition,
  partName,
  partPath,
  statFile,
} from "./_files.ts";

/**
 * Options for {@linkcode DirSource}.
 *
 * @example Reading only the files a pattern names
 * ```ts
 * import { Dataflow } from "@runnel/runnel";
 * import { DirSource, type DirSourceOptions } from "@runnel/runnel/connectors";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * for (const day of [1, 2, 10]) await Deno.writeTextFile(`${dir}/day${day}.log`, `day ${day}\n`);
 * const options: DirSourceOptions = { globPattern: "day?.log" };
 * const flow = new Dataflow("f");
 * const lines = await Array.fromAsync(flow.input("inp", new DirSource(dir, options)));
 * assert.deepEqual(lines.sort(), ["day 1", "day 2"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface DirSourceOptions {
  /**
   * Which file names to read: `*` matches any run of characters, `?` one
   * character. Defaults to `"*"`, every file. Subdirectories are never read.
   */
  globPattern?: string;
  /** The most lines per batch. Defaults to `1000`. */
  batchSize?: number;
  /** Bytes per read. Defaults to 64 KiB. */
  chunkSize?: number;
  /**
   * How processes tell whether they see the same files. `"shared"` (the
   * default) names each partition by its path, `"device"` by device id and
   * path; see `FileSourceOptions.fsId`.
   */
  fsId?: "shared" | "device";
}

/**
 * Reads the lines of every file in a directory whose name matches a glob:
 * one partition per file, named by its path (`dir/name`), listed in name
 * order. Each partition behaves like a {@linkcode FileSource}; partitions are
 * spread over workers, so lines of different files interleave.
 *
 * The files are listed when the flow starts; files added later are not read
 * until the next run.
 *
 * **Resume: exactly-once.** Each file's snapshot is the byte offset of its
 * next unread line; on resume each file continues there.
 *
 * @example Reading every `.log` file in a directory
 * ```ts
 * import { DirSource } from "@runnel/runnel/connectors";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.log`, "a1\na2\n");
 * await Deno.writeTextFile(`${dir}/b.log`, "b1\n");
 * await Deno.writeTextFile(`${dir}/notes.txt`, "skipped\n");
 *
 * const source = new DirSource(dir, { globPattern: "*.log" });
 * const parts = await source.listParts();
 * assert.deepEqual(parts, [`${dir}/a.log`, `${dir}/b.log`]);
 *
 * const lines: string[] = [];
 * for (const part of parts) {
 *   const reader = await source.buildPart("demo.inp", part, undefined);
 *   for (let batch; (batch = await reader.nextBatch()) !== null;) lines.push(...batch);
 *   await reader.close?.();
 * }
 * assert.deepEqual(lines, ["a1", "a2", "b1"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class DirSource implements FixedPartitionedSource<string, number> {
  #dir: string;
  #label: string;
  #match: RegExp;
  #batchSize: number;
  #chunkSize: number;
  #fsId: "shared" | "device";

  /**
   * Creates a source reading the lines of the matching files in `dir`.
   *
   * @param dir The directory to read.
   * @param options The file name pattern, batch size, read size and partition naming.
   */
  constructor(dir: string, options: DirSourceOptions = {}) {
    this.#dir = checkPath("directory source", "dir", dir);
    this.#label = `directory source "${dir}"`;
    this.#match = globToRegExp(options.globPattern ?? "*");
    this.#batchSize = checkPositiveInteger(this.#label, "batchSize", options.batchSize ?? 1000);
    this.#chunkSize = checkPositiveInteger(
      this.#label,
      "chunkSize",
      options.chunkSize ?? DEFAULT_CHUNK_SIZE,
    );
    this.#fsId = options.fsId ?? "shared";
  }

  /**
   * One partition per matching regular file, sorted by name.
   *
   * @returns The partition names (paths, or `"<device>::<path>"` with `fsId: "device"`).
   * @throws {Error} When the directory does not exist or cannot be read.
   */
  async listParts(): Promise<string[]> {
    let entries;
    try {
      entries = await platform.readDir(this.#dir);
    } catch (error) {
      const what = platform.isNotFound(error)
        ? "directory not found"
        : error instanceof Error
        ? error.message
        : String(error);
      throw new Error(`Cannot open ${this.#label}: ${what}`, { cause: error });
    }
    const parts: string[] = [];
    for (const entry of entries) {
      if (!entry.isFile || !this.#match.test(entry.name)) continue;
      const path = joinPath(this.#dir, entry.name);
      parts.push(partName(path, await statFile(this.#label, path), this.#fsId));
    }
    return parts;
  }

  /**
   * Opens one file at its resume offset.
   *
   * @param _stepId The input step's id (unused).
   * @param forPart A name {@linkcode DirSource.listParts} returned.
   * @param resumeState The file's byte offset from a snapshot, or `undefined` to start at the beginning.
   * @returns The partition reader.
   */
  async buildPart(
    _stepId: string,
    forPart: string,
    resumeState: number | undefined,
  ): Promise<StatefulSourcePartition<string, number>> {
    const path = partPath(forPart, this.#fsId);
    const name = path.slice(joinPath(this.#dir, "").length);
    if (path !== joinPath(this.#dir, name) || name.includes("/") || !this.#match.test(name)) {
      throw new RangeError(`Cannot build ${this.#label}: unknown partition "${forPart}"`);
    }
    return await LinePartition.open(this.#label, path, resumeState, {
      batchSize: this.#batchSize,
      chunkSize: this.#chunkSize,
    });
  }
}
