/**
 * Checks the notebooks `deno task notebooks` executed: no cell failed, the
 * key results are what the lessons say (the 30 word counts, the averages 6
 * and 2), and every picture is there, in the notebook and in its HTML
 * rendering, which headless Chromium loads to measure each picture and to
 * save a screenshot beside it (`<name>.png`).
 *
 * Run it after `deno task notebooks`, with
 * `deno test --allow-all tests/notebooks/check_executed.ts`; the executed
 * notebooks are read from `.ci/out/notebooks` (another directory in
 * `$RUNNEL_NOTEBOOKS_OUT`). The file is not named `*_test.ts`, so
 * `deno task test` leaves it out: it needs Jupyter and Chromium. Without
 * executed notebooks or Chromium its tests are skipped, except under
 * `CI=true`, where they fail.
 *
 * @module
 */

import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const ROOT = new URL("../../", import.meta.url);
const OUT = Deno.env.get("RUNNEL_NOTEBOOKS_OUT") ??
  decodeURIComponent(new URL(".ci/out/notebooks", ROOT).pathname);
const CHROMIUM = Deno.env.get("CHROMIUM") ?? "/usr/bin/chromium";
const IN_CI = Deno.env.get("CI") === "true";

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  ename?: string;
  evalue?: string;
}
interface Cell {
  cell_type: string;
  id: string;
  source: string | string[];
  execution_count?: number | null;
  outputs?: Output[];
}
interface Notebook {
  cells: Cell[];
}

const joined = (text: string | string[] | undefined) =>
  Array.isArray(text) ? text.join("") : text ?? "";

const names = [...Deno.readDirSync(new URL("notebooks/", ROOT))]
  .filter((entry) => entry.isFile && entry.name.endsWith(".ipynb"))
  .map((entry) => entry.name)
  .sort();

function readExecuted(name: string): Notebook | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(`${OUT}/${name}`));
  } catch {
    return undefined;
  }
}

const executed = new Map(names.map((name) => [name, readExecuted(name)]));
const HAS_ALL = [...executed.values()].every((nb) => nb !== undefined);
const HAS_CHROMIUM = await Deno.stat(CHROMIUM).then((info) => info.isFile, () => false);
if (!HAS_ALL && !IN_CI) {
  console.warn(`No executed notebooks in ${OUT}: run \`deno task notebooks\` first. Skipped.`);
}

function notebook(name: string): Notebook {
  const nb = executed.get(name);
  assert.ok(nb, `${OUT}/${name} is missing: run \`deno task notebooks\` first`);
  return nb;
}

function codeCells(name: string): Cell[] {
  return notebook(name).cells.filter((cell) => cell.cell_type === "code");
}

function streamText(name: string): string {
  return codeCells(name).flatMap((cell) => cell.outputs ?? [])
    .filter((o) => o.output_type === "stream").map((o) => joined(o.text)).join("");
}

/** Each output's markup for a MIME type, in order. */
function outputsOf(name: string, mime: string): string[] {
  return codeCells(name).flatMap((cell) => cell.outputs ?? [])
    .map((o) => o.data?.[mime]).filter((d) => d !== undefined).map(joined);
}

function cellWithSource(name: string, fragment: string): Cell {
  const cell = codeCells(name).find((c) => joined(c.source).includes(fragment));
  assert.ok(cell, `${name}: no code cell contains ${JSON.stringify(fragment)}`);
  return cell;
}

function svgOf(cell: Cell): string {
  const svg = (cell.outputs ?? []).map((o) => o.data?.["image/svg+xml"]).find((d) => d);
  assert.ok(svg, `cell ${cell.id} shows no SVG`);
  return joined(svg);
}

const test = (name: string, fn: () => void | Promise<void>) =>
  Deno.test({ name, ignore: !HAS_ALL && !IN_CI, fn });

test("every notebook executed every code cell without an error", () => {
  assert.ok(names.length >= 6, `expected at least 6 notebooks, found ${names.join(", ")}`);
  for (const name of names) {
    for (const cell of codeCells(name)) {
      const errors = (cell.outputs ?? []).filter((o) => o.output_type === "error");
      assert.deepEqual(errors, [], `${name} cell ${cell.id} failed`);
      assert.equal(typeof cell.execution_count, "number", `${name} cell ${cell.id} did not run`);
    }
  }
});

// Deno's kernel runs cells without type checking, so a type error would go
// unnoticed; each notebook's cells, joined into one module, are checked here.
Deno.test("every notebook's code type-checks against runnel's types", async () => {
  const dir = await Deno.makeTempDir({ prefix: "runnel-notebooks-" });
  try {
    const files: string[] = [];
    for (const name of names) {
      const source: Notebook = JSON.parse(
        await Deno.readTextFile(new URL(`notebooks/${name}`, ROOT)),
      );
      const code = source.cells.filter((cell) => cell.cell_type === "code")
        .map((cell) => joined(cell.source)).join("\n\n");
      const file = `${dir}/${name.replace(/\.ipynb$/, ".ts")}`;
      await Deno.writeTextFile(file, code);
      files.push(file);
    }
    // notebooks/deno.json with its paths made absolute, beside a link to the repository's
    // node_modules: its npm packages come from there (`"nodeModulesDir": "manual"`), and
    // Deno looks for them beside the configuration file.
    const notebooksConfig = JSON.parse(
      await Deno.readTextFile(new URL("notebooks/deno.json", ROOT)),
    );
    for (const [name, target] of Object.entries<string>(notebooksConfig.imports)) {
      if (target.startsWith(".")) {
        notebooksConfig.imports[name] = new URL(target, new URL("notebooks/", ROOT)).href;
      }
    }
    const config = `${dir}/deno.json`;
    await Deno.writeTextFile(config, JSON.stringify(notebooksConfig));
    await Deno.symlink(
      decodeURIComponent(new URL("node_modules", ROOT).pathname),
      `${dir}/node_modules`,
    );
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", "--config", config, ...files],
      env: { NO_COLOR: "1" },
      stderr: "piped",
    }).output();
    const errors = new TextDecoder().decode(stderr).split("\n")
      .filter((line) =>
        !line.startsWith("Warning") && !/^\s+at file:\/\/\/.*node_modules|@types\/node/.test(line)
      )
      .join("\n");
    assert.equal(code, 0, errors);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("02 prints the soliloquy's 30 word counts, as the demo does", async () => {
  const expected = (await Deno.readTextFile(new URL("tests/wordcount_expected.txt", ROOT)))
    .trim().split("\n").map((line) => JSON.parse(line));
  const printed = streamText("02_stateful_wordcount.ipynb").split("\n")
    .filter((line) => line.startsWith('["'))
    .map((line) => JSON.parse(line));
  assert.equal(expected.length, 30);
  assert.deepEqual(printed, expected);
  const tables = outputsOf("02_stateful_wordcount.ipynb", "text/html");
  assert.ok(tables.some((html) => html.includes("30 distinct words")), "no table of 30 words");
});

test("03 computes the averages 6 and 2 for user 123", () => {
  const lines = streamText("03_windows_and_watermarks.ipynb").split("\n");
  assert.ok(lines.includes('[["123",[0,6]],["123",[1,2]]]'), `printed: ${lines.join("\n")}`);
});

test("the graph cells of 01 and 02 draw their flows", () => {
  const random = svgOf(cellWithSource("01_streams_are_generators.ipynb", "dataflowGraph(flow)"));
  assert.equal(random.match(/<g class="step"/g)?.length, 4);
  assert.equal(random.match(/<path class="edge"/g)?.length, 3);
  const wordcount = svgOf(cellWithSource("02_stateful_wordcount.ipynb", "dataflowGraph(flow)"));
  for (const id of ["inp", "lowercase", "tokenize", "count", "out"]) {
    assert.ok(wordcount.includes(`>${id}</text>`), `the wordcount graph has no step ${id}`);
  }
});

test("03 draws a window timeline after each run, and the live cell ends with one", () => {
  const name = "03_windows_and_watermarks.ipynb";
  const timelines = outputsOf(name, "image/svg+xml").filter((svg) =>
    svg.includes("windowTimeline")
  );
  for (
    const title of [
      "Averages per 5 s window",
      "Tumbling, 10 s",
      "Sliding",
      "Sessions",
      "A late click",
    ]
  ) {
    assert.ok(timelines.some((svg) => svg.includes(title)), `no timeline titled ${title}`);
  }
  const live = (cellWithSource(name, "await live(").outputs ?? [])
    .map((o) => joined(o.data?.["text/html"])).at(-1) ?? "";
  assert.match(live, /ended/);
  assert.match(live, /14 items/);
  assert.match(live, /<svg/);
});

test("05 flags the injected spikes and plots the readings", () => {
  const name = "05_realtime_ml.ipynb";
  const lines = streamText(name).split("\n");
  assert.ok(lines.includes("spikes found: 5 of 5"), `printed: ${lines.join("\n")}`);
  const plots = outputsOf(name, "image/svg+xml").filter((svg) => svg.includes("<polyline"));
  assert.ok(
    plots.some((svg) => svg.includes(">Sensor s1</text>") && svg.includes('class="point"')),
  );
});

test("04 tabulates what each join mode emits", () => {
  const tables = outputsOf("04_joining_streams.ipynb", "text/html");
  const modes = tables.find((html) => html.includes("What each join emits"));
  assert.ok(modes, "no table of join modes");
  assert.equal(modes.match(/<tr>/g)?.length, 1 + 9);
});

test("06 counts the same on 1 and 4 workers and after a crash and a resume on 3", () => {
  const name = "06_scaling_and_recovery.ipynb";
  // The results are each cell's value (execute_result), as Deno.inspect shows it.
  const valueOf = (fragment: string) =>
    joined(
      (cellWithSource(name, fragment).outputs ?? [])
        .find((o) => o.output_type === "execute_result")?.data?.["text/plain"],
    ).replace(/\s+/g, " ");
  assert.equal(
    valueOf("sameCountsAsOnOneWorker"),
    "{ sameCountsAsOnOneWorker: true, viewsCountedPerWorker: [ 58, 98, 78, 66 ] }",
  );
  assert.equal(valueOf("({ viewsRead"), "{ viewsRead: 220, countsEmitted: 0 }");
  assert.equal(
    valueOf("viewsInTheCounts"),
    "{ committedEpoch: 4, runsSoFar: 1, viewsInTheCounts: 200 }",
  );
  assert.equal(
    valueOf("viewsReadInBothRuns"),
    "{ viewsReadInBothRuns: 320, sameCountsAsTheRunThatNeverCrashed: true }",
  );
  assert.equal(valueOf("inputAt"), "{ committedEpoch: 7, runs: 2, inputAt: { testing: 301 } }");
  const where = joined(
    cellWithSource(name, "stableHash(user) % 4]").outputs?.[0]?.data?.["text/html"],
  );
  // Each user's observed worker equals stableHash(user) % 4: the last two cells of every row.
  const rows = [...where.matchAll(/<tr>(.*?)<\/tr>/gs)].slice(1)
    .map((row) => [...row[1]!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((cell) => cell[1]));
  assert.equal(rows.length, 12);
  for (const row of rows) assert.equal(row[2], row[3], `user ${row[0]}`);
  const inspected = outputsOf(name, "text/html").find((html) => html.includes("at epoch 4"));
  assert.ok(inspected, "no table of the snapshot at the crash");
  assert.ok(inspected.includes(">views.count.sum<") && inspected.includes(">views.inp<"));
  assert.ok(inspected.includes("&quot;testing&quot;:200"), "the input does not resume at item 200");
  const pictures = outputsOf(name, "image/svg+xml");
  assert.ok(
    pictures.some((svg) => svg.includes(">4 workers: user to worker stableHash(user) % 4<")),
  );
  assert.ok(pictures.some((svg) => svg.includes(">Resumed, 3 workers<")));
  for (const svg of pictures) {
    assert.ok((svg.match(/<rect /g)?.length ?? 0) >= 12, "a picture without bars");
  }
});

for (const name of names) {
  const stem = name.replace(/\.ipynb$/, "");
  Deno.test({
    name: `${stem}.html shows every picture with a size in Chromium`,
    ignore: !IN_CI && (!HAS_ALL || !HAS_CHROMIUM),
    async fn() {
      assert.ok(HAS_CHROMIUM, `CI=true needs Chromium at ${CHROMIUM} (apt-get install chromium)`);
      const nb = notebook(name);
      // Pictures the notebook holds: SVG outputs, and SVGs inside HTML outputs.
      const expected = nb.cells.flatMap((cell) =>
        cell.outputs ?? []
      ).filter((o) =>
        o.data?.["image/svg+xml"] !== undefined || /<svg/.test(joined(o.data?.["text/html"]))
      ).length;
      const userDataDir = await Deno.makeTempDir({ prefix: "runnel-chromium-" });
      try {
        const context = await chromium.launchPersistentContext(userDataDir, {
          executablePath: CHROMIUM,
          headless: true,
          viewport: { width: 1100, height: 900 },
          args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
        });
        try {
          const page = await context.newPage();
          // The HTML template links scripts from the web; the pictures need none of them.
          await page.route(/^https?:/, (route) => route.abort());
          await page.goto(`file://${OUT}/${stem}.html`, { waitUntil: "load" });
          // SVG outputs are images (see html_template/); HTML outputs may hold inline SVG.
          const pictures = await page.locator(
            ".jp-OutputArea-output img[src^='data:image/svg+xml'], .jp-OutputArea-output svg:not(svg svg)",
          ).evaluateAll((elements) =>
            elements.map((element) => {
              const box = element.getBoundingClientRect();
              // A picture that failed to decode has no natural size; an
              // emptied one draws nothing inside its box.
              // (Structural types: this file is checked without the DOM library.)
              const image = element as unknown as { complete: boolean; naturalWidth: number };
              const svg = element as unknown as { getBBox(): { width: number } };
              const drawn = element.tagName === "IMG"
                ? image.complete && image.naturalWidth > 0
                : svg.getBBox().width > 0;
              return { width: box.width, height: box.height, drawn };
            })
          );
          assert.equal(pictures.length, expected, `${stem}.html: pictures found`);
          for (const [i, picture] of pictures.entries()) {
            assert.ok(
              picture.width > 0 && picture.height > 0 && picture.drawn,
              `${stem}.html: picture ${i} is empty: ${JSON.stringify(picture)}`,
            );
          }
          await page.screenshot({ path: `${OUT}/${stem}.png`, fullPage: true });
        } finally {
          await context.close();
        }
      } finally {
        await Deno.remove(userDataDir, { recursive: true });
      }
    },
  });
}
