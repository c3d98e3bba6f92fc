/**
 * {@linkcode FileSink}: write lines to one file.
 *
 * @module
 */

import type { FixedPartitionedSink, StatefulSinkPartition } from "../src/dataflow/outputs.ts";
import { checkPath } from "./_files.ts";
import { FileSinkPartition } from "./_file_sink_partition.ts";

/**
 * Options for {@linkcode FileSink}.
 *
 * @example Lines ending in CRLF
 * ```ts
 * import { Dataflow, run } from "@runnel/runnel";
 * import { FileSink, type FileSinkOptions } from "@runnel/runnel/connectors";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const options: FileSinkOptions = { end: "\r\n" };
 * const flow = new Dataflow("f");
 * flow.input("inp", ["a,1", "b,2"])
 *   .map("key", (line) => ["rows", line] as [string, string])
 *   .output("out", new FileSink(`${dir}/out.csv`, options));
 * await run(flow);
 * assert.equal(await Deno.readTextFile(`${dir}/out.csv`), "a,1\r\nb,2\r\n");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface FileSinkOptions {
  /** Written after every value. Defaults to `"\n"`. */
  end?: string;
}

/**
 * Writes a keyed stream of strings to one file: it consumes `[key, value]`
 * items, as every partitioned sink does, and appends each `value` followed
 * by `end`. The key only routes the item; all keys go to the one partition,
 * named by the path. A fresh run empties the file first. What was
 * written is synced to disk at every epoch's barrier, before the epoch can
 * be committed (one sync per epoch, not per batch); `close()` syncs and
 * closes.
 *
 * Values must be strings (format them in a `map` step first); anything else
 * is a `TypeError` naming the sink and the value.
 *
 * **Resume: exactly-once** (with a resumable source). The snapshot is the
 * byte offset written; on resume the file is truncated to it, dropping what
 * was written after the snapshot, which the flow then writes again.
 *
 * @example Writing, then resuming from a snapshot
 * ```ts
 * import { FileSink } from "@runnel/runnel/connectors";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/out.txt`;
 * const sink = new FileSink(path);
 * const [part] = await sink.listParts();
 *
 * const writer = await sink.buildPart("demo.out", part, undefined);
 * await writer.writeBatch(["a", "b"]);
 * const offset = writer.snapshot();
 * await writer.writeBatch(["written after the snapshot"]);
 * await writer.close?.();
 *
 * // After a crash, the partition is rebuilt from its snapshot.
 * const resumed = await sink.buildPart("demo.out", part, offset);
 * await resumed.writeBatch(["c"]);
 * await resumed.close?.();
 * assert.equal(await Deno.readTextFile(path), "a\nb\nc\n");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class FileSink implements FixedPartitionedSink<string, number> {
  #path: string;
  #label: string;
  #end: string;

  /**
   * Creates a sink writing to the file at `path`.
   *
   * @param path The file to write; its directory must exist.
   * @param options What ends each value.
   */
  constructor(path: string, options: FileSinkOptions = {}) {
    this.#path = checkPath("file sink", "path", path);
    this.#label = `file sink "${path}"`;
    this.#end = options.end ?? "\n";
    if (typeof this.#end !== "string") {
      throw new TypeError(`Cannot create ${this.#label}: end must be a string`);
    }
  }

  /**
   * The one partition, named by the path.
   *
   * @returns A one-element list.
   */
  listParts(): string[] {
    return [this.#path];
  }

  /**
   * Every key goes to the one partition.
   *
   * @param _key The item's key.
   * @returns `0`.
   */
  partFn(_key: string): number {
    return 0;
  }

  /**
   * Opens the file, truncated to the resume offset (emptied on a fresh start).
   *
   * @param _stepId The output step's id (unused).
   * @param forPart The name {@linkcode FileSink.listParts} returned.
   * @param resumeState The byte offset from a snapshot, or `undefined` on a fresh start.
   * @returns The partition writer.
   */
  async buildPart(
    _stepId: string,
    forPart: string,
    resumeState: number | undefined,
  ): Promise<StatefulSinkPartition<string, number>> {
    if (forPart !== this.#path) {
      throw new RangeError(`Cannot build ${this.#label}: unknown partition "${forPart}"`);
    }
    return await FileSinkPartition.open(this.#label, this.#path, resumeState, this.#end);
  }
}
