/**
 * {@linkcode StdInSource}: the lines of standard input.
 *
 * @module
 */

import type { DynamicSource, StatelessSourcePartition } from "../src/dataflow/inputs.ts";
import { platform } from "../src/runtime/platform/platform.ts";
import { checkPositiveInteger } from "./_files.ts";
import { LineSplitter } from "./_line_splitter.ts";

// Read ahead while fewer bytes than this wait to be taken: latency stays low
// and memory bounded however fast the input arrives. An unfinished line is
// read to its end whatever its length, as FileSource reads it.
const READ_AHEAD_BYTES = 64 * 1024;

/**
 * Options for {@linkcode StdInSource}.
 *
 * @example Checking the batch size when the source is made
 * ```ts
 * import { StdInSource, type StdInSourceOptions } from "@runnel/runnel/connectors";
 * import assert from "node:assert/strict";
 *
 * const options: StdInSourceOptions = { batchSize: 100 };
 * const source = new StdInSource(options);
 * // Only worker 0 reads standard input; the reader on any other worker ends at once.
 * assert.equal(await (await source.build("f.inp", 1, 2)).nextBatch(), null);
 * assert.throws(() => new StdInSource({ batchSize: 0 }), {
 *   name: "RangeError",
 *   message: "Cannot create stdin source: batchSize must be a positive integer, got 0",
 * });
 * ```
 */
export interface StdInSourceOptions {
  /** The most lines per batch. Defaults to `1000`. */
  batchSize?: number;
}

/**
 * Reads standard input line by line: items are the lines as text, without
 * their `\n` or `\r\n` terminator, decoded as UTF-8. Only worker 0 reads;
 * the reader on every other worker ends at once. The source ends when
 * standard input does (end of the pipe, or Ctrl-D on a terminal).
 *
 * Each poll hands over the lines already received and never waits for more,
 * so a quiet input never holds up the flow; one chunk is read ahead. A line
 * may be of any length: it is buffered until its end arrives.
 * Standard input can be read once per process.
 *
 * **Resume: at-most-once.** Standard input cannot be replayed: lines read
 * before a crash are not read again, and lines read but not yet processed
 * are lost.
 *
 * @example Reading lines from a pipe
 * ```ts ignore
 * // echo -e "a\nb" | deno run flow.ts
 * import { StdInSource } from "@runnel/runnel/connectors";
 *
 * const reader = await new StdInSource().build("demo.inp", 0, 1);
 * for (let batch; (batch = await reader.nextBatch()) !== null;) {
 *   if (batch.length === 0) await new Promise((r) => setTimeout(r, 10)); // Nothing yet.
 *   for (const line of batch) console.log(line.toUpperCase());
 * }
 * ```
 *
 * @example Workers other than worker 0 read nothing
 * ```ts
 * import { StdInSource } from "@runnel/runnel/connectors";
 * import assert from "node:assert/strict";
 *
 * const reader = await new StdInSource().build("demo.inp", 1, 2);
 * assert.equal(await reader.nextBatch(), null);
 * ```
 */
export class StdInSource implements DynamicSource<string> {
  #batchSize: number;

  /**
   * Creates a source reading standard input.
   *
   * @param options The batch size.
   */
  constructor(options: StdInSourceOptions = {}) {
    this.#batchSize = checkPositiveInteger("stdin source", "batchSize", options.batchSize ?? 1000);
  }

  /**
   * Builds this worker's reader: standard input on worker 0, an empty reader elsewhere.
   *
   * @param _stepId The input step's id (unused).
   * @param workerIndex This worker's index.
   * @param _workerCount How many workers run (unused).
   * @returns The reader.
   */
  build(
    _stepId: string,
    workerIndex: number,
    _workerCount: number,
  ): StatelessSourcePartition<string> {
    if (workerIndex !== 0) return { nextBatch: () => null };
    return new StdInPartition(platform.stdin(), this.#batchSize);
  }
}

class StdInPartition implements StatelessSourcePartition<string> {
  #iterator: AsyncIterator<Uint8Array>;
  #splitter = new LineSplitter();
  #batchSize: number;
  #pending = false;
  #error: unknown;
  #failed = false;

  constructor(input: AsyncIterable<Uint8Array>, batchSize: number) {
    this.#iterator = input[Symbol.asyncIterator]();
    this.#batchSize = batchSize;
  }

  nextBatch(): string[] | null {
    if (this.#failed) {
      const reason = this.#error instanceof Error ? this.#error.message : String(this.#error);
      throw new Error(`Cannot read standard input: ${reason}`, { cause: this.#error });
    }
    const lines = this.#splitter.take(this.#batchSize);
    if (lines.length === 0 && this.#splitter.done) return null;
    // Fewer lines than asked for means only an unfinished line is buffered:
    // read on however long it grows, or it would never end.
    if (lines.length < this.#batchSize || this.#splitter.buffered < READ_AHEAD_BYTES) {
      this.#readAhead();
    }
    return lines;
  }

  close(): void {
    if (this.#splitter.ended) return;
    this.#splitter.end();
    // Stop reading; not awaited, since a read in flight may wait for input that never comes.
    this.#iterator.return?.().catch(() => {});
  }

  #readAhead(): void {
    if (this.#pending || this.#splitter.ended) return;
    this.#pending = true;
    this.#iterator.next().then(
      (result) => {
        this.#pending = false;
        if (this.#splitter.ended) return;
        if (result.done) this.#splitter.end();
        else this.#splitter.push(result.value);
      },
      (error) => {
        this.#pending = false;
        this.#failed = true;
        this.#error = error;
      },
    );
  }
}
