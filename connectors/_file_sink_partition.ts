/**
 * The writer behind `FileSink` and `DirSink`: one file, appended to, whose
 * snapshot is the byte offset written.
 *
 * @module
 */

import { describeValue } from "../src/dataflow/errors.ts";
import type { StatefulSinkPartition } from "../src/dataflow/outputs.ts";
import { type FileWriter, platform } from "../src/runtime/platform/platform.ts";

const encoder = new TextEncoder();

// "number 4", "array [1,2]"; null and undefined speak for themselves.
function describeWithType(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  return `${Array.isArray(value) ? "array" : typeof value} ${describeValue(value)}`;
}

/**
 * Writes string values to one file, each followed by `end`, syncing at
 * every epoch's barrier (and on close). Built with a snapshot, it first truncates the file to the snapshot's
 * offset, dropping whatever was written after it: with a source that replays
 * from the same snapshot, each line ends up in the file exactly once.
 */
export class FileSinkPartition implements StatefulSinkPartition<string, number> {
  #label: string;
  #file: FileWriter;
  #end: string;
  #offset: number;
  #closed = false;

  private constructor(label: string, file: FileWriter, end: string, offset: number) {
    this.#label = label;
    this.#file = file;
    this.#end = end;
    this.#offset = offset;
  }

  /**
   * Opens `path` for appending, truncated to `resumeState` (or emptied on a
   * fresh start). Errors name `label`.
   */
  static async open(
    label: string,
    path: string,
    resumeState: unknown,
    end: string,
  ): Promise<FileSinkPartition> {
    const offset = resumeState ?? 0;
    if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) {
      throw new TypeError(
        `Cannot resume ${label}: snapshot must be a byte offset, got ${describeValue(resumeState)}`,
      );
    }
    if (offset > 0) {
      // Truncating "up" would pad with zero bytes: the file lost data since the snapshot.
      let size = 0;
      try {
        size = (await platform.stat(path)).size;
      } catch (error) {
        if (!platform.isNotFound(error)) throw error;
      }
      if (size < offset) {
        throw new RangeError(
          `Cannot resume ${label}: the file has ${size} bytes but the snapshot says ` +
            `${offset} were written; was it replaced?`,
        );
      }
    }
    let file: FileWriter;
    try {
      file = await platform.openWrite(path, { truncateTo: offset });
    } catch (error) {
      const what = platform.isNotFound(error)
        ? `directory of "${path}" not found`
        : error instanceof Error
        ? error.message
        : String(error);
      throw new Error(`Cannot open ${label}: ${what}`, { cause: error });
    }
    return new FileSinkPartition(label, file, end, offset);
  }

  /**
   * Appends each value followed by `end`.
   *
   * @throws {TypeError} When a value is not a string; nothing of the batch is written.
   */
  async writeBatch(values: readonly string[]): Promise<void> {
    if (values.length === 0) return;
    for (const value of values) {
      if (typeof value !== "string") {
        throw new TypeError(
          `Cannot write to ${this.#label}: value must be a string, got ${describeWithType(value)}`,
        );
      }
    }
    const bytes = encoder.encode(values.join(this.#end) + this.#end);
    await this.#file.write(bytes);
    this.#offset += bytes.length;
  }

  /** The byte offset written so far (synced by the next {@linkcode FileSinkPartition.sync}). */
  snapshot(): number {
    return this.#offset;
  }

  /** Syncs what was written to disk: at every barrier, so each epoch is durable before it counts. */
  async sync(): Promise<void> {
    await this.#file.sync();
  }

  /** Syncs and closes the file. Closing twice is harmless. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#file.sync();
    } finally {
      await this.#file.close();
    }
  }
}
