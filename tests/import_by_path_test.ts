import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { runModule, runtime, withTempDir } from "./_runtime.ts";

// The clone's files by absolute path, as a flow outside the repository names them.
const root = fileURLToPath(new URL("../", import.meta.url));

Deno.test("a flow outside the repository imports runnel and its connectors by path, with no config", async () => {
  await withTempDir(async (dir) => {
    await writeFile(`${dir}/words.txt`, "b a\nc b\n");
    await writeFile(`${dir}/events.jsonl`, '{"n":1}\n{"n":2}\n');
    await writeFile(
      `${dir}/flow.ts`,
      `import { Dataflow, run } from ${JSON.stringify(`${root}mod.ts`)};
import { FileSource, JsonLinesSource, StdOutSink } from ${
        JSON.stringify(`${root}connectors/mod.ts`)
      };

const flow = new Dataflow("outside");
const words = flow.input("words", new FileSource(${JSON.stringify(`${dir}/words.txt`)}))
  .flatMap("split", (line) => line.split(" "))
  .countFinal("count", (word) => word);
const total = flow.input("events", new JsonLinesSource<{ n: number }>(${
        JSON.stringify(`${dir}/events.jsonl`)
      }))
  .map("n", (event) => ["total", event.n] as [string, number]);
words.merge("both", total).output("out", new StdOutSink());
await run(flow);
`,
    );
    // The temporary directory holds no deno.json or package.json: nothing maps bare specifiers.
    const { code, stdout, stderr } = await runModule(`${dir}/flow.ts`, [], {
      cwd: dir,
      denoFlags: ["--allow-read"],
    });
    assert.equal(stderr, "");
    assert.equal(code, 0);
    assert.deepEqual(stdout.trimEnd().split("\n").sort(), [
      `["a", 1]`,
      `["b", 2]`,
      `["c", 1]`,
      `["total", 1]`,
      `["total", 2]`,
    ]);
  });
});

Deno.test("a flow outside the repository reads CSV through connectors/csv_source.ts as the README says", async () => {
  await withTempDir(async (dir) => {
    await writeFile(`${dir}/people.csv`, 'name,age\nAda,36\n"Lin, Jr.",7\n');
    if (runtime === "deno") {
      // Deno needs csv-parse mapped; Bun and Node find it in the clone's node_modules.
      await writeFile(
        `${dir}/deno.json`,
        JSON.stringify({ imports: { "csv-parse/": "npm:/csv-parse@^5.6.0/" } }),
      );
    }
    await writeFile(
      `${dir}/flow.ts`,
      `import { Dataflow, run } from ${JSON.stringify(`${root}mod.ts`)};
import { StdOutSink } from ${JSON.stringify(`${root}connectors/mod.ts`)};
import { CSVSource } from ${JSON.stringify(`${root}connectors/csv_source.ts`)};

const flow = new Dataflow("csv");
flow.input("people", new CSVSource(${JSON.stringify(`${dir}/people.csv`)}))
  .map("name", (row) => row.name)
  .output("out", new StdOutSink());
await run(flow);
`,
    );
    const { code, stdout, stderr } = await runModule(`${dir}/flow.ts`, [], {
      cwd: dir,
      denoFlags: ["--allow-read", "--quiet"],
    });
    assert.equal(stderr, "");
    assert.equal(code, 0);
    assert.equal(stdout, "Ada\nLin, Jr.\n");
  });
});
