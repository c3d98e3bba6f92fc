/**
 * {@linkcode CSVSource}: the rows of a CSV file as objects.
 *
 * Its own entry point, `@runnel/runnel/connectors/csv`, because it alone
 * needs an npm package (`csv-parse`): a flow that reads no CSV imports
 * `@runnel/runnel/connectors` without it, even from a clone of the
 * repository with no import map.
 *
 * @module
 */

// @ts-types="./_csv_parse.d.ts"
import { parse } from "csv-parse/stream";
import type { FixedPartitionedSource, StatefulSourcePartition } from "../src/dataflow/inputs.ts";
import type { FileReader } from "../src/runtime/platform/platform.ts";
import { openFile, SingleFile } from "./_files.ts";
import { platform } from "../src/runtime/platform/platform.ts";

/**
 * Options for {@linkcode CSVSource}.
 *
 * @example Tab-separated values with a comment line
 * ```ts
 * import { Dataflow } from "@runnel/runnel";
 * import { CSVSource, type CSVSourceOptions } from "@runnel/runnel/connectors/csv";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/cities.tsv`, "# exported today\nname\tcity\nAda\t London\n");
 * const options: CSVSourceOptions = { delimiter: "\t", comment: "#", trim: true };
 * const flow = new Dataflow("f");
 * const source = new CSVSource(`${dir}/cities.tsv`, options);
 * const rows = await Array.fromAsync(flow.input("inp", source));
 * assert.deepEqual(rows, [{ name: "Ada", city: "London" }]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface CSVSourceOptions {
  /** The most rows per batch. Defaults to `1000`. */
  batchSize?: number;
  /** Bytes per read. Defaults to 64 KiB. */
  chunkSize?: number;
  /**
   * How processes tell whether they see the same file: `"shared"` (the
   * default) names the partition by its path, `"device"` by device id and
   * path; see `FileSourceOptions.fsId`.
   */
  fsId?: "shared" | "device";
  /** The field separator. Defaults to `","`; use `"\t"` for TSV. */
  delimiter?: string;
  /** The quote character. Defaults to `'"'`. */
  quote?: string;
  /** The character escaping a quote inside a quoted field. Defaults to the quote itself (`""`). */
  escape?: string;
  /** Lines starting with this character are skipped. Off by default. */
  comment?: string;
  /** Remove whitespace around unquoted fields. Defaults to `false`. */
  trim?: boolean;
  /** Skip blank lines instead of reading them as rows. Defaults to `true`, as Python's `csv` does. */
  skipEmptyLines?: boolean;
  /**
   * Accept rows with a different number of fields than the header (missing
   * fields are left out of the object). Defaults to `false`: such a row is an error.
   */
  relaxColumnCount?: boolean;
}

/**
 * One CSV row: field values keyed by the header's column names.
 *
 * @example Turning rows into typed records
 * ```ts
 * import { Dataflow } from "@runnel/runnel";
 * import { CSVSource, type CSVRow } from "@runnel/runnel/connectors/csv";
 * import assert from "node:assert/strict";
 *
 * function toPerson(row: CSVRow): { name: string; age: number } {
 *   return { name: row.name, age: Number(row.age) };
 * }
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/people.csv`, "name,age\nAda,36\nAlan,41\n");
 * const flow = new Dataflow("f");
 * const people = flow.input("inp", new CSVSource(`${dir}/people.csv`)).map("person", toPerson);
 * assert.deepEqual(await Array.fromAsync(people), [
 *   { name: "Ada", age: 36 },
 *   { name: "Alan", age: 41 },
 * ]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export type CSVRow = Record<string, string>;

type ParserOptions = Record<string, unknown>;

/**
 * Reads a CSV file: one partition, named by the path, whose items are the
 * rows after the header, as objects of strings keyed by the header's column
 * names (as Python's `csv.DictReader` gives them).
 *
 * Parsing follows RFC 4180 and is done by the
 * [`csv-parse`](https://csv.js.org/parse/) package: quoted fields may hold
 * delimiters, doubled quotes and line breaks; `\r\n`, `\n` and `\r` all end
 * a row, even mixed in one file, and a UTF-8 byte order mark is dropped.
 * The file is read in chunks, never loaded whole.
 *
 * A malformed row stops the flow with a `SyntaxError` naming the file and
 * the line where the row starts (counting `\r\n`, `\n` and `\r` as line
 * breaks): `Cannot parse CSV file "x.csv": line 3: Invalid Record Length: ...`.
 * The rows before it are delivered first.
 *
 * **Resume: exactly-once.** The snapshot is the byte offset just after the
 * last row handed over (a row spanning lines counts as one); on resume the
 * header is read again and parsing continues at that offset.
 *
 * @example Reading rows, quoted fields included
 * ```ts
 * import { CSVSource } from "@runnel/runnel/connectors/csv";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/people.csv`;
 * await Deno.writeTextFile(path, 'name,quote\nAda,"Hello, ""world"""\nLin,"two\nlines"\n');
 *
 * const source = new CSVSource(path);
 * const [part] = await source.listParts();
 * const reader = await source.buildPart("demo.inp", part, undefined);
 * assert.deepEqual(await reader.nextBatch(), [
 *   { name: "Ada", quote: 'Hello, "world"' },
 *   { name: "Lin", quote: "two\nlines" },
 * ]);
 * assert.equal(await reader.nextBatch(), null);
 * await reader.close?.();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @example Resuming after a row that spans two lines
 * ```ts
 * import { CSVSource } from "@runnel/runnel/connectors/csv";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/notes.csv`;
 * await Deno.writeTextFile(path, 'id,text\n1,"a\nb"\n2,c\n');
 *
 * const source = new CSVSource(path, { batchSize: 1 });
 * const first = await source.buildPart("demo.inp", path, undefined);
 * assert.deepEqual(await first.nextBatch(), [{ id: "1", text: "a\nb" }]);
 * const offset = first.snapshot();
 * await first.close?.();
 *
 * const resumed = await source.buildPart("demo.inp", path, offset);
 * assert.deepEqual(await resumed.nextBatch(), [{ id: "2", text: "c" }]);
 * assert.equal(await resumed.nextBatch(), null);
 * await resumed.close?.();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class CSVSource implements FixedPartitionedSource<CSVRow, number> {
  readonly #file: SingleFile;
  #parserOptions: ParserOptions;

  /**
   * Creates a source reading the rows of the CSV file at `path`.
   *
   * @param path The file to read.
   * @param options Batch size, read size, partition naming and CSV dialect.
   * @throws {TypeError} When a dialect option is invalid, such as an empty delimiter.
   */
  constructor(path: string, options: CSVSourceOptions = {}) {
    this.#file = new SingleFile("CSV source", path, options);
    const parserOptions: ParserOptions = {
      // Universal newlines: a file mixing them still splits at each one.
      record_delimiter: ["\r\n", "\n", "\r"],
      skip_empty_lines: options.skipEmptyLines ?? true,
      relax_column_count: options.relaxColumnCount ?? false,
      trim: options.trim ?? false,
    };
    if (options.delimiter !== undefined) parserOptions.delimiter = options.delimiter;
    if (options.quote !== undefined) parserOptions.quote = options.quote;
    if (options.escape !== undefined) parserOptions.escape = options.escape;
    if (options.comment !== undefined) {
      parserOptions.comment = options.comment;
      parserOptions.comment_no_infix = true;
    }
    try {
      // Building a parser validates the dialect now rather than mid-run.
      parse(parserOptions);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new TypeError(`Cannot create ${this.#file.label}: ${reason}`, { cause: error });
    }
    this.#parserOptions = parserOptions;
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
   * Opens the file at the resume offset, reading the header first.
   *
   * @param _stepId The input step's id (unused).
   * @param forPart The name {@linkcode CSVSource.listParts} returned.
   * @param resumeState The byte offset from a snapshot, or `undefined` to start at the beginning.
   * @returns The partition reader.
   */
  async buildPart(
    _stepId: string,
    forPart: string,
    resumeState: number | undefined,
  ): Promise<StatefulSourcePartition<CSVRow, number>> {
    this.#file.checkPart(forPart);
    const { label, path, batchSize, chunkSize } = this.#file;
    const offset = await this.#file.resumeOffset(resumeState);
    let columns: true | string[] = true;
    if (offset > 0) {
      // The header sits before the resume offset: read it on its own.
      const header = await RecordReader.open<string[]>(label, path, 0, {
        ...this.#parserOptions,
        chunkSize,
        columns: false,
      });
      try {
        const first = await header.next(1);
        if (first === null) {
          throw new Error(`Cannot resume ${label}: the file has no header row`);
        }
        columns = first.records[0];
      } finally {
        await header.close();
      }
    }
    const reader = await RecordReader.open<CSVRow>(label, path, offset, {
      ...this.#parserOptions,
      chunkSize,
      columns,
    });
    return new CSVPartition(reader, offset, batchSize);
  }
}

class CSVPartition implements StatefulSourcePartition<CSVRow, number> {
  #reader: RecordReader<CSVRow>;
  #offset: number;
  #batchSize: number;

  constructor(reader: RecordReader<CSVRow>, offset: number, batchSize: number) {
    this.#reader = reader;
    this.#offset = offset;
    this.#batchSize = batchSize;
  }

  async nextBatch(): Promise<CSVRow[] | null> {
    const batch = await this.#reader.next(this.#batchSize);
    if (batch === null) return null;
    this.#offset = batch.end;
    return batch.records;
  }

  snapshot(): number {
    return this.#offset;
  }

  close(): Promise<void> {
    return this.#reader.close();
  }
}

/**
 * Feeds file chunks to csv-parse and collects records with the byte offset
 * where each ends. Records are taken in `on_record` and never enqueued on
 * the parser's readable side, so each `write` is processed at once and the
 * parser never reads ahead: memory stays at one chunk plus one batch.
 */
class RecordReader<R> {
  #label: string;
  #path: string;
  #file: FileReader;
  #start: number;
  #options: ParserOptions & { chunkSize: number };
  #chunkSize: number;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #records: R[] = [];
  #ends: number[] = [];
  #head = 0;
  #ended = false;
  #error: unknown;
  // Where the last record handed to on_record ends: the next row starts after it.
  #lastEnd: number | undefined;

  private constructor(
    label: string,
    path: string,
    file: FileReader,
    start: number,
    options: ParserOptions & { chunkSize: number },
  ) {
    this.#label = label;
    this.#path = path;
    this.#file = file;
    this.#start = start;
    this.#options = options;
    const { chunkSize, ...parserOptions } = options;
    this.#chunkSize = chunkSize;
    const stream = parse({
      ...parserOptions,
      // A BOM can only be at the very start of the file.
      bom: start === 0,
      on_record: (record: R, context: unknown) => {
        // The context carries csv-parse's `info` counters (its typings omit `bytes`).
        const bytes = (context as { bytes?: unknown }).bytes;
        if (typeof bytes !== "number") {
          throw new Error("Cannot track CSV offsets: csv-parse gave no byte count");
        }
        this.#records.push(record);
        this.#ends.push(start + bytes);
        this.#lastEnd = start + bytes;
        return null;
      },
    }) as TransformStream<Uint8Array, never>;
    this.#writer = stream.writable.getWriter();
    // The error is read from `closed` when needed; this keeps it from being unhandled.
    this.#writer.closed.catch(() => {});
  }

  static async open<R>(
    label: string,
    path: string,
    start: number,
    options: ParserOptions & { chunkSize: number },
  ): Promise<RecordReader<R>> {
    return new RecordReader<R>(label, path, await openFile(label, path, start), start, options);
  }

  /**
   * Up to `max` records and the offset after the last, or `null` at end of
   * file. A parse error is thrown once the records before it are taken, so
   * what is emitted does not depend on the chunk size.
   */
  async next(max: number): Promise<{ records: R[]; end: number } | null> {
    while (this.#records.length - this.#head < max && !this.#ended) await this.#fill();
    const available = this.#records.length - this.#head;
    if (available === 0) {
      if (this.#error !== undefined) throw await this.#parseError(this.#error);
      return null;
    }
    const count = Math.min(max, available);
    const records = this.#records.slice(this.#head, this.#head + count);
    const end = this.#ends[this.#head + count - 1];
    this.#head += count;
    if (this.#head === this.#records.length) {
      this.#records = [];
      this.#ends = [];
      this.#head = 0;
    }
    return { records, end };
  }

  async close(): Promise<void> {
    await this.#file.close();
    if (!this.#ended) {
      this.#ended = true;
      await this.#writer.abort().catch(() => {});
    }
  }

  async #fill(): Promise<void> {
    // A fresh chunk each time: the parser may keep the tail of the last one.
    const chunk = new Uint8Array(this.#chunkSize);
    const n = await this.#file.read(chunk);
    try {
      if (n === null) {
        this.#ended = true;
        await this.#file.close();
        await this.#writer.close();
      } else {
        await this.#writer.write(chunk.subarray(0, n));
      }
    } catch (error) {
      this.#fail(error);
      return;
    }
    // A parse error settles the write normally and errors the stream; `closed` holds it.
    if (this.#writer.desiredSize === null) {
      this.#fail(await this.#writer.closed.then(() => undefined, (error) => error));
    }
  }

  #fail(error: unknown): void {
    this.#ended = true;
    this.#error = error ?? new Error("csv-parse stopped without an error");
  }

  async #parseError(error: unknown): Promise<unknown> {
    await this.#file.close();
    if (!(error instanceof Error)) return error;
    // csv-parse's own line numbers drift where line breaks are mixed or
    // quoted; the line is counted here, from where the failing row starts.
    const line = await lineAt(this.#path, await this.#failingRowStart(error));
    const reason = error.message.replace(/ (?:at|on) line \d+/g, "");
    return new SyntaxError(
      `Cannot parse CSV file "${this.#path}": line ${line}: ${reason}`,
      { cause: error },
    );
  }

  // The offset of the row that failed: after the last record read, or the
  // header, then past the lines csv-parse skips (blank and comment lines).
  async #failingRowStart(error: Error): Promise<number> {
    let end = this.#lastEnd ?? this.#start;
    const inHeader = (error as { header?: unknown }).header === true;
    if (this.#lastEnd === undefined && this.#options.columns === true && !inHeader) {
      // The first row after the header failed: read the header alone to find its end.
      const header = await RecordReader.open<string[]>(this.#label, this.#path, this.#start, {
        ...this.#options,
        columns: false,
      });
      try {
        end = (await header.next(1))?.end ?? end;
      } finally {
        await header.close();
      }
    }
    return await skipIgnoredLines(this.#path, end, this.#options);
  }
}

const CR = 0x0d;
const LF = 0x0a;

/**
 * The offset of the first line at or after `offset` that csv-parse reads as
 * a row: blank lines (and, with `trim`, lines of spaces and tabs) are
 * skipped with `skip_empty_lines`, and lines starting with `comment`.
 */
async function skipIgnoredLines(
  path: string,
  offset: number,
  options: ParserOptions & { chunkSize: number },
): Promise<number> {
  const file = await platform.openRead(path, { offset });
  try {
    let bytes: Uint8Array = new Uint8Array(0);
    let at = 0; // Index in bytes of the line being looked at.
    let eof = false;
    // Ensures bytes hold index `i`, reading on; false at end of file.
    const has = async (i: number): Promise<boolean> => {
      while (i >= bytes.length && !eof) {
        const chunk = new Uint8Array(Math.max(options.chunkSize, 4096));
        const n = await file.read(chunk);
        if (n === null) eof = true;
        else bytes = concatBytes(bytes, chunk.subarray(0, n));
      }
      return i < bytes.length;
    };
    const comment = typeof options.comment === "string" && options.comment !== ""
      ? new TextEncoder().encode(options.comment)
      : undefined;
    for (;;) {
      let i = at;
      let blank = options.skip_empty_lines === true;
      let commented = comment !== undefined;
      for (let k = 0; commented && k < comment!.length; k++) {
        commented = (await has(at + k)) && bytes[at + k] === comment![k];
      }
      // Find the end of this line, noting whether it holds anything but (trimmed) blanks.
      while ((await has(i)) && bytes[i] !== LF && bytes[i] !== CR) {
        if (!(options.trim === true && (bytes[i] === 0x20 || bytes[i] === 0x09))) blank = false;
        i++;
      }
      if (!(await has(i)) || !(blank || commented)) return offset + at;
      i += bytes[i] === CR && (await has(i + 1)) && bytes[i + 1] === LF ? 2 : 1;
      at = i;
    }
  } finally {
    await file.close();
  }
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * The line number (from 1) of byte `offset` of `path`, counting `\r\n`,
 * `\n` and a lone `\r` as line breaks, as the CSV source splits rows.
 */
async function lineAt(path: string, offset: number): Promise<number> {
  const file = await platform.openRead(path);
  const buffer = new Uint8Array(64 * 1024);
  let line = 1;
  let seen = 0;
  let afterCr = false;
  try {
    while (seen < offset) {
      const n = await file.read(buffer.subarray(0, Math.min(buffer.length, offset - seen)));
      if (n === null) break;
      for (let i = 0; i < n; i++) {
        const byte = buffer[i];
        if (byte === CR || (byte === LF && !afterCr)) line++;
        afterCr = byte === CR;
      }
      seen += n;
    }
  } finally {
    await file.close();
  }
  return line;
}
