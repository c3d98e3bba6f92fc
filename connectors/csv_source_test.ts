import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { CSVSource, type CSVSourceOptions } from "./csv_source.ts";
import { drainBatches, readThenSnapshot } from "./_test_helpers.ts";
import { withTempDir } from "../tests/_runtime.ts";

async function writeInput(dir: string, content: string): Promise<string> {
  const path = `${dir}/data.csv`;
  await writeFile(path, content);
  return path;
}

async function readRows(
  path: string,
  options: CSVSourceOptions = {},
  resume?: number,
): Promise<Record<string, string>[][]> {
  const source = new CSVSource(path, options);
  const [part] = await source.listParts();
  return drainBatches(await source.buildPart("test.inp", part, resume));
}

Deno.test("CSVSource turns rows into objects keyed by the header", async () => {
  await withTempDir(async (dir) => {
    const path = await writeInput(dir, "city,temp\nOslo,3\nLima,19\n");
    assert.deepEqual(await new CSVSource(path).listParts(), [path]);
    assert.deepEqual(await readRows(path), [[
      { city: "Oslo", temp: "3" },
      { city: "Lima", temp: "19" },
    ]]);
  });
});

Deno.test("CSVSource follows RFC 4180 quoting", async () => {
  await withTempDir(async (dir) => {
    const path = await writeInput(
      dir,
      'a,b,c\n"x, y","say ""hi""",plain\n"multi\nline\r\ntext",,""\n"",é,"😀"\n',
    );
    assert.deepEqual((await readRows(path)).flat(), [
      { a: "x, y", b: 'say "hi"', c: "plain" },
      { a: "multi\nline\r\ntext", b: "", c: "" },
      { a: "", b: "é", c: "😀" },
    ]);
  });
});

Deno.test("CSVSource reads CRLF files, a BOM and a last row without newline", async () => {
  await withTempDir(async (dir) => {
    const path = await writeInput(dir, "\ufeffid,name\r\n1,one\r\n2,two");
    assert.deepEqual((await readRows(path, { chunkSize: 2 })).flat(), [
      { id: "1", name: "one" },
      { id: "2", name: "two" },
    ]);
  });
});

Deno.test("CSVSource decodes UTF-8 characters split across chunk boundaries", async () => {
  await withTempDir(async (dir) => {
    const path = await writeInput(dir, 'k,v\nå,"日本\n語"\n😀,ü\n');
    for (const chunkSize of [1, 2, 3, 5]) {
      assert.deepEqual((await readRows(path, { chunkSize })).flat(), [
        { k: "å", v: "日本\n語" },
        { k: "😀", v: "ü" },
      ], `chunk ${chunkSize}`);
    }
  });
});

Deno.test("CSVSource accepts a dialect: delimiter, comments, trimming, blank lines", async () => {
  await withTempDir(async (dir) => {
    const tsv = await writeInput(dir, "a\tb\n1\t2,3\n\n4\t5\n");
    assert.deepEqual((await readRows(tsv, { delimiter: "\t" })).flat(), [
      { a: "1", b: "2,3" },
      { a: "4", b: "5" },
    ]);
    const commented = await writeInput(dir, "# generated\na;b\n# skip me\n 1 ; 2 \n");
    assert.deepEqual(await readRows(commented, { delimiter: ";", comment: "#", trim: true }), [[
      { a: "1", b: "2" },
    ]]);
    const ragged = await writeInput(dir, "a,b\n1\n2,3\n");
    assert.deepEqual((await readRows(ragged, { relaxColumnCount: true })).flat(), [
      { a: "1" },
      { a: "2", b: "3" },
    ]);
    assert.throws(() => new CSVSource("x.csv", { delimiter: "" }), {
      name: "TypeError",
      message: /^Cannot create CSV source "x.csv": /,
    });
  });
});

Deno.test("CSVSource ends at once on an empty file or a header alone", async () => {
  await withTempDir(async (dir) => {
    assert.deepEqual(await readRows(await writeInput(dir, "")), []);
    assert.deepEqual(await readRows(await writeInput(dir, "a,b\n")), []);
    assert.deepEqual(await readRows(await writeInput(dir, "a,b\n\n\n")), []);
  });
});

Deno.test("CSVSource batches by batchSize", async () => {
  await withTempDir(async (dir) => {
    const path = await writeInput(dir, "n\n1\n2\n3\n4\n5\n");
    assert.deepEqual(
      (await readRows(path, { batchSize: 2 })).map((batch) => batch.map((row) => row.n)),
      [["1", "2"], ["3", "4"], ["5"]],
    );
  });
});

Deno.test("CSVSource resumes from every snapshot, even after rows spanning lines", async () => {
  await withTempDir(async (dir) => {
    const path = await writeInput(
      dir,
      '\ufeffid,text\r\n1,"a\r\nb"\r\n2,plain\r\n\r\n3,"c,""d""\ne"\r\n4,é\r\n5,"last"',
    );
    const expected = [
      { id: "1", text: "a\r\nb" },
      { id: "2", text: "plain" },
      { id: "3", text: 'c,"d"\ne' },
      { id: "4", text: "é" },
      { id: "5", text: "last" },
    ];
    for (const chunkSize of [1, 4, 1024]) {
      const source = new CSVSource(path, { batchSize: 1, chunkSize });
      for (let taken = 0; taken <= expected.length; taken++) {
        const first = await readThenSnapshot(
          await source.buildPart("t", path, undefined),
          taken,
        );
        const rest = await drainBatches(await source.buildPart("t", path, first.snapshot));
        assert.deepEqual(
          [...first.batches.flat(), ...rest.flat()],
          expected,
          `chunk ${chunkSize}, after ${taken}`,
        );
      }
    }
  });
});

Deno.test("CSVSource snapshots the byte offset after the last row handed over", async () => {
  await withTempDir(async (dir) => {
    const path = await writeInput(dir, 'h\n"x\ny"\nz');
    const part = await new CSVSource(path, { batchSize: 1 }).buildPart("t", path, undefined);
    const offsets = [part.snapshot()];
    while (await part.nextBatch() !== null) offsets.push(part.snapshot());
    await part.close?.();
    assert.deepEqual(offsets, [0, 8, 9]);
  });
});

Deno.test("CSVSource names the file and line of a malformed row", async () => {
  await withTempDir(async (dir) => {
    const path = await writeInput(dir, "a,b\n1,2\n3,4,5\n6,7\n");
    const message = `Cannot parse CSV file "${path}": line 3: ` +
      "Invalid Record Length: columns length is 2, got 3";
    const source = new CSVSource(path, { batchSize: 1 });
    const check = (error: Error) => {
      assert.equal(error.name, "SyntaxError");
      assert.equal(error.message, message);
      assert.equal((error.cause as { code?: string }).code, "CSV_RECORD_INCONSISTENT_COLUMNS");
      return true;
    };
    await assert.rejects(drainBatches(await source.buildPart("t", path, undefined)), check);
    // After a resume, line numbers still count from the start of the file.
    await assert.rejects(drainBatches(await source.buildPart("t", path, 8)), check);

    // Rows before the bad one come out first, whatever the chunk size.
    const whole = await new CSVSource(path, { batchSize: 10 }).buildPart("t", path, undefined);
    assert.deepEqual(await whole.nextBatch(), [{ a: "1", b: "2" }]);
    await assert.rejects(Promise.resolve(whole.nextBatch()), check);
    await whole.close?.();

    const unclosed = await writeInput(dir, 'a,b\n1,2\n3,"open\n4,5\n');
    // The line is where the failing row starts: here, where the quote opened.
    await assert.rejects(drainBatches(await source.buildPart("t", unclosed, undefined)), {
      name: "SyntaxError",
      message: `Cannot parse CSV file "${unclosed}": line 3: ` +
        "Quote Not Closed: the parsing is finished with an opening quote",
    });
    const stray = await writeInput(dir, 'a,b\n1,2"x"\n');
    await assert.rejects(drainBatches(await source.buildPart("t", stray, undefined)), {
      name: "SyntaxError",
      message: /^Cannot parse CSV file ".*": line 2: Invalid Opening Quote: /,
    });
  });
});

Deno.test("CSVSource splits rows at \\r\\n, \\n and \\r alike, in one file", async () => {
  await withTempDir(async (dir) => {
    const path = await writeInput(dir, "a,b\n1,2\r\n3,4\r5,6\n");
    const source = new CSVSource(path);
    assert.deepEqual((await drainBatches(await source.buildPart("t", path, undefined))).flat(), [
      { a: "1", b: "2" },
      { a: "3", b: "4" },
      { a: "5", b: "6" },
    ]);
  });
});

Deno.test("CSVSource names the line where a bad row starts, whatever the line breaks before it", async () => {
  // Cases the fuzz test found (seed 20261201), where csv-parse's own count
  // ran past the end of the file, and their neighbours.
  const cases: [string, string, CSVSourceOptions, number, string][] = [
    ["mixed", '""\n\r\n\r\n"a,b",\n', { skipEmptyLines: false }, 4, "Invalid Record Length"],
    ["open quote", '"open,\r\n \r\n\n', { skipEmptyLines: false }, 1, "Quote Not Closed"],
    ["quoted CRLF", 'a,b\r\n"x\r\ny",1\r\n1,2,3\r\n', {}, 4, "Invalid Record Length"],
    ["first row", "a,b\n\n# note\n  \n1,2,3\n", { comment: "#", trim: true }, 5, "Invalid"],
    ["lone CR", "a,b\r1,2\r3,4,5\r", {}, 3, "Invalid Record Length"],
  ];
  await withTempDir(async (dir) => {
    for (const [name, text, options, line, reason] of cases) {
      const path = await writeInput(dir, text);
      const source = new CSVSource(path, options);
      await assert.rejects(
        drainBatches(await source.buildPart("t", path, undefined)),
        (error: Error) => {
          assert.equal(error.name, "SyntaxError", name);
          assert.ok(
            error.message.startsWith(`Cannot parse CSV file "${path}": line ${line}: ${reason}`),
            `${name}: ${error.message}`,
          );
          return true;
        },
      );
    }
  });
});

Deno.test("CSVSource names a missing file in its error", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/missing.csv`;
    await assert.rejects(new CSVSource(path).listParts(), {
      message: `Cannot open CSV source "${path}": file not found`,
    });
    await assert.rejects(new CSVSource(path).buildPart("t", path, undefined), {
      message: `Cannot open CSV source "${path}": file not found`,
    });
  });
});
