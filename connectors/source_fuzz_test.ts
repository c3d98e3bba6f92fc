/**
 * Fuzz tests of the file sources and their line splitter: random bytes,
 * truncations, invalid UTF-8, CRLF mixes and huge lines, in random chunks
 * and batches. Every case must end in output or in an error naming the file
 * and the line, never hang or crash otherwise. The runs are few and the seed
 * fixed, so a failure repeats; fast-check prints the seed and path to replay.
 *
 * @module
 */

import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import fc from "fast-check";
import { LineSplitter } from "./_line_splitter.ts";
import { FileSource } from "./file_source.ts";
import { JsonLinesSource } from "./json_lines_source.ts";
import { CSVSource } from "./csv_source.ts";
import { withTempDir } from "../tests/_runtime.ts";

const SEED = 20261201;
const encoder = new TextEncoder();

// A case that neither ends nor fails within this time has hung.
const WATCHDOG_MS = 10_000;

async function withWatchdog<T>(what: string, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} hung for ${WATCHDOG_MS} ms`)), WATCHDOG_MS);
  });
  try {
    return await Promise.race([work, hung]);
  } finally {
    clearTimeout(timer);
  }
}

// Pieces of input that stress the readers: separators, byte order marks,
// broken and valid multi-byte sequences, plain and random bytes, and now
// and then a line longer than a read chunk.
const piece: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 12 }).map((s) => encoder.encode(s)) },
  {
    weight: 2,
    arbitrary: fc.string({ unit: "grapheme", maxLength: 6 }).map((s) => encoder.encode(s)),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom("\n", "\r\n", "\r", ",", '"', "\t", " ").map((s) =>
      encoder.encode(s)
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      [0xef, 0xbb, 0xbf], // byte order mark
      [0xff],
      [0xc3], // first byte of a two-byte character
      [0xe2, 0x82], // two of three bytes
      [0xf0, 0x9f, 0x98], // three of four bytes
      [0xed, 0xa0, 0x80], // an encoded surrogate
      [0xc0, 0x8a], // an overlong "\n"
    ).map((bytes) => new Uint8Array(bytes)),
  },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 16 }) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 64 * 1024 - 2, max: 200_000 }).map((n) =>
      new Uint8Array(n).fill(0x61)
    ),
  },
);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Random bytes made of pieces, cut short at a random point half the time. */
const content: fc.Arbitrary<Uint8Array> = fc.tuple(
  fc.array(piece, { maxLength: 40 }),
  fc.option(fc.nat(), { nil: undefined }),
).map(([parts, cut]) => {
  const bytes = concat(parts);
  return cut === undefined ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
});

/**
 * What the line sources must read from `bytes`: the lines between `\n`
 * bytes, without one `\r` before the `\n` (or at the end), a leading byte
 * order mark dropped, each decoded as UTF-8 with bad bytes replaced; a last
 * line without `\n` counts unless empty. `ends` are the byte offsets after
 * each line.
 */
function referenceLines(bytes: Uint8Array): { lines: string[]; ends: number[] } {
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  const lines: string[] = [];
  const ends: number[] = [];
  let start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (start < bytes.length) {
    const newline = bytes.indexOf(0x0a, start);
    const next = newline === -1 ? bytes.length : newline + 1;
    let stop = newline === -1 ? bytes.length : newline;
    if (stop > start && bytes[stop - 1] === 0x0d) stop--;
    lines.push(decoder.decode(bytes.subarray(start, stop)));
    ends.push(next);
    start = next;
  }
  return { lines, ends };
}

/** Reads every batch of a source's one partition, then the error that stopped it, if any. */
async function readAll<T>(
  source: {
    listParts(): Promise<string[]>;
    buildPart(
      step: string,
      part: string,
      resume: number | undefined,
    ): Promise<{ nextBatch(): unknown; close?(): unknown }>;
  },
  resume?: number,
): Promise<{ items: T[]; batches: number; error?: Error }> {
  const [part] = await source.listParts();
  const reader = await source.buildPart("fuzz.inp", part!, resume);
  const items: T[] = [];
  let batches = 0;
  try {
    for (;;) {
      const batch = await reader.nextBatch() as T[] | null;
      if (batch === null) return { items, batches };
      batches++;
      for (const item of batch) items.push(item);
    }
  } catch (error) {
    assert.ok(error instanceof Error, `not an Error: ${String(error)}`);
    return { items, batches, error };
  } finally {
    await reader.close?.();
  }
}

const sizes = fc.record({
  batchSize: fc.integer({ min: 1, max: 40 }),
  chunkSize: fc.oneof(fc.integer({ min: 1, max: 17 }), fc.constant(64 * 1024)),
});

// A one-byte read of a 200 kB line is slow to no purpose: larger inputs get larger reads.
function chunkFor(bytes: Uint8Array, chunkSize: number): number {
  return Math.max(chunkSize, Math.ceil(bytes.length / 64));
}

Deno.test("LineSplitter splits any bytes, pushed in any chunks, like the reference", () => {
  fc.assert(
    fc.property(
      content,
      fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 }),
      fc.integer({ min: 1, max: 5 }),
      (bytes, cuts, max) => {
        const splitter = new LineSplitter();
        const lines: string[] = [];
        const ends: number[] = [];
        let at = 0;
        for (let i = 0; at < bytes.length; i++) {
          const size = Math.max(cuts[i % cuts.length]!, Math.ceil(bytes.length / 500));
          splitter.push(bytes.subarray(at, at + size));
          at += size;
          for (let taken; (taken = splitter.take(max, ends)).length > 0;) lines.push(...taken);
        }
        splitter.end();
        for (let taken; (taken = splitter.take(max, ends)).length > 0;) lines.push(...taken);
        assert.ok(splitter.done);
        assert.equal(splitter.buffered, 0);
        assert.deepEqual({ lines, ends }, referenceLines(bytes));
        assert.equal(splitter.offset, bytes.length);
      },
    ),
    { seed: SEED, numRuns: 150 },
  );
});

Deno.test("FileSource reads any bytes as the reference lines, and resumes from any snapshot", async () => {
  await withTempDir(async (dir) => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(content, sizes, fc.nat(), async (bytes, { batchSize, chunkSize }, stop) => {
        const path = `${dir}/${n++}.txt`;
        await writeFile(path, bytes);
        const { lines, ends } = referenceLines(bytes);
        const source = new FileSource(path, { batchSize, chunkSize: chunkFor(bytes, chunkSize) });
        const whole = await withWatchdog(path, readAll<string>(source));
        assert.equal(whole.error, undefined);
        assert.deepEqual(whole.items, lines);

        // Stop after some batches, then resume from the snapshot: nothing lost or repeated.
        const [part] = await source.listParts();
        const reader = await source.buildPart("fuzz.inp", part!, undefined);
        const first: string[] = [];
        for (let i = 0; i < stop % (whole.batches + 1); i++) {
          first.push(...(await reader.nextBatch())!);
        }
        const snapshot = reader.snapshot();
        await reader.close?.();
        assert.equal(snapshot, first.length === 0 ? 0 : ends[first.length - 1]);
        const rest = await withWatchdog(path, readAll<string>(source, snapshot));
        assert.deepEqual([...first, ...rest.items], lines);
      }),
      { seed: SEED, numRuns: 80 },
    );
  });
});

Deno.test("JsonLinesSource delivers the values before the first bad line, then names its line", async () => {
  // JSON lines, blank lines and junk, ended by "\n" or "\r\n", sometimes broken up by the pieces above.
  const line = fc.oneof(
    { weight: 5, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: fc.constantFrom("", "  ", "\t") },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  );
  const jsonContent = fc.tuple(
    fc.array(fc.tuple(line, fc.constantFrom("\n", "\r\n")), { maxLength: 30 }),
    fc.boolean(),
    fc.option(content, { nil: undefined }),
  ).map(([lines, lastEnded, noise]) => {
    let text = lines.map(([body, end]) => body + end).join("");
    if (!lastEnded && text.endsWith("\n")) text = text.replace(/\r?\n$/, "");
    const bytes = encoder.encode(text);
    return noise === undefined ? bytes : concat([bytes, noise]);
  });
  await withTempDir(async (dir) => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(jsonContent, sizes, async (bytes, { batchSize, chunkSize }) => {
        const path = `${dir}/${n++}.jsonl`;
        await writeFile(path, bytes);
        const values: unknown[] = [];
        let badLine: number | undefined;
        const { lines } = referenceLines(bytes);
        for (let i = 0; i < lines.length && badLine === undefined; i++) {
          if (lines[i]!.trim() === "") continue;
          try {
            values.push(JSON.parse(lines[i]!));
          } catch {
            badLine = i + 1;
          }
        }
        const source = new JsonLinesSource(path, {
          batchSize,
          chunkSize: chunkFor(bytes, chunkSize),
        });
        const { items, error } = await withWatchdog(path, readAll(source));
        assert.deepEqual(items, values);
        if (badLine === undefined) {
          assert.equal(error, undefined);
        } else {
          assert.ok(error instanceof SyntaxError, String(error));
          assert.ok(
            error.message.startsWith(`Cannot parse JSON Lines file "${path}": line ${badLine}: `),
            error.message,
          );
        }
      }),
      { seed: SEED, numRuns: 120 },
    );
  });
});

Deno.test("CSVSource reads any bytes to rows or an error naming the file and line, whatever the chunks", async () => {
  // Fields quoted or not, holding delimiters, quotes and line breaks, then noise.
  const field = fc.oneof(
    { weight: 6, arbitrary: fc.string({ maxLength: 6 }) },
    {
      weight: 3,
      arbitrary: fc.string({ maxLength: 6 }).map((s) => `"${s.replaceAll('"', '""')}"`),
    },
    { weight: 1, arbitrary: fc.constantFrom('"a,b"', '"x\ny"', '"q""q"', 'a"b', '"open', "", " ") },
  );
  const row = fc.array(field, { minLength: 1, maxLength: 4 }).map((fields) => fields.join(","));
  const csvContent = fc.tuple(
    fc.array(fc.tuple(row, fc.constantFrom("\n", "\r\n")), { minLength: 2, maxLength: 20 }),
    fc.option(content, { nil: undefined }),
  ).map(([rows, noise]) => {
    const bytes = encoder.encode(rows.map(([body, end]) => body + end).join(""));
    return noise === undefined ? bytes : concat([bytes, noise]);
  });
  const options = fc.record({
    relaxColumnCount: fc.boolean(),
    skipEmptyLines: fc.boolean(),
    trim: fc.boolean(),
  });
  await withTempDir(async (dir) => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 3, arbitrary: csvContent }, { weight: 1, arbitrary: content }),
        sizes,
        options,
        async (bytes, { batchSize, chunkSize }, dialect) => {
          const path = `${dir}/${n++}.csv`;
          await writeFile(path, bytes);
          // Rows split at "\r\n", "\n" and a lone "\r"; a line number is at most one past the last.
          const lastLine = new TextDecoder().decode(bytes).split(/\r\n|\n|\r/).length;
          // The same file read whole in one batch: rows and error must not depend on chunks.
          const whole = await withWatchdog(
            path,
            readAll<Record<string, string>>(new CSVSource(path, { ...dialect, batchSize: 1e6 })),
          );
          const chunked = await withWatchdog(
            path,
            readAll<Record<string, string>>(
              new CSVSource(path, { ...dialect, batchSize, chunkSize: chunkFor(bytes, chunkSize) }),
            ),
          );
          assert.deepEqual(chunked.items, whole.items);
          assert.equal(chunked.error?.message, whole.error?.message);
          for (const item of whole.items) {
            for (const value of Object.values(item)) assert.equal(typeof value, "string");
          }
          if (whole.error !== undefined) {
            const match = whole.error.message.match(
              new RegExp(
                `^Cannot parse CSV file "${
                  path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
                }": line (\\d+): `,
              ),
            );
            assert.ok(match !== null, `unnamed error: ${whole.error.stack}`);
            assert.equal(whole.error.name, "SyntaxError");
            const line = Number(match[1]);
            assert.ok(line >= 1 && line <= lastLine, `line ${line} of ${lastLine}`);
          }
        },
      ),
      { seed: SEED, numRuns: 150 },
    );
  });
});
