/**
 * Sources and sinks for files and standard streams.
 *
 * | Connector | Kind | Items | Resume |
 * | --- | --- | --- | --- |
 * | {@linkcode FileSource} | partitioned source, one file | lines | exactly-once (byte offset) |
 * | {@linkcode DirSource} | partitioned source, one file per partition | lines | exactly-once (byte offset per file) |
 * | `CSVSource` (from `@runnel/runnel/connectors/csv`) | partitioned source, one file | rows as objects | exactly-once (byte offset) |
 * | {@linkcode JsonLinesSource} | partitioned source, one file | parsed JSON values | exactly-once (byte offset) |
 * | {@linkcode StdInSource} | dynamic source, worker 0 | lines | at-most-once |
 * | {@linkcode FileSink} | partitioned sink, one file | `[key, string]` | exactly-once (truncates on resume) |
 * | {@linkcode DirSink} | partitioned sink, the key picks the file | `[key, string]` | exactly-once (truncates on resume) |
 * | {@linkcode StdOutSink} | dynamic sink, every worker | anything | at-least-once |
 * | {@linkcode WebSocketSource} | dynamic source, worker 0 | parsed messages | at-most-once (a feed cannot be replayed) |
 * | {@linkcode SSESource} | dynamic source, worker 0 | parsed events | at-most-once (`Last-Event-ID` on reconnect) |
 *
 * Partitioned ("fixed") sources and sinks keep a resume position in each
 * snapshot; dynamic ones run one stateless reader or writer per worker.
 * Files are read in chunks and never loaded whole.
 *
 * @example Copying a file's lines in upper case, as a flow would
 * ```ts
 * import { FileSink, FileSource } from "@runnel/runnel/connectors";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/in.txt`, "hello\nworld\n");
 *
 * const source = new FileSource(`${dir}/in.txt`);
 * const sink = new FileSink(`${dir}/out.txt`);
 * const [inPart] = await source.listParts();
 * const [outPart] = await sink.listParts();
 * const reader = await source.buildPart("copy.inp", inPart, undefined);
 * const writer = await sink.buildPart("copy.out", outPart, undefined);
 * for (let batch; (batch = await reader.nextBatch()) !== null;) {
 *   await writer.writeBatch(batch.map((line) => line.toUpperCase()));
 * }
 * await reader.close?.();
 * await writer.close?.();
 *
 * assert.equal(await Deno.readTextFile(`${dir}/out.txt`), "HELLO\nWORLD\n");
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

export * from "./file_source.ts";
export * from "./dir_source.ts";
export * from "./json_lines_source.ts";
export * from "./std_in_source.ts";
export * from "./file_sink.ts";
export * from "./dir_sink.ts";
export * from "./std_out_sink.ts";
export * from "./websocket_source.ts";
export * from "./sse_source.ts";
export * from "./feed_error.ts";
