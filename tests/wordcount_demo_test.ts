import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { runModule } from "./_runtime.ts";

const root = new URL("../", import.meta.url);
const expected = await readFile(new URL("tests/wordcount_expected.txt", root), "utf8");

Deno.test("the wordcount demo prints the tutorial's 30 word counts, sorted by word", async () => {
  // On Deno with the permission `deno task demo` grants.
  const { code, stdout, stderr } = await runModule("examples/wordcount.ts", [], {
    cwd: root,
    denoFlags: ["--allow-read"],
  });
  assert.equal(code, 0, stderr);
  assert.equal(stdout, expected);
  const lines = stdout.trimEnd().split("\n");
  assert.equal(lines.length, 30);
  assert.equal(lines[0], `["'tis", 1]`);
  assert.ok(lines.includes(`["the", 3]`));
  assert.ok(lines.includes(`["to", 4]`));
});

Deno.test("runnel run examples/wordcount.ts prints the same 30 lines", async () => {
  const { code, stdout, stderr } = await runModule("cli.ts", ["run", "examples/wordcount.ts"], {
    cwd: root,
  });
  assert.equal(code, 0, stderr);
  assert.equal(stdout, expected);
});

Deno.test("the demo's modules import no npm package, so a first run downloads none", async () => {
  // Follows every relative import (static, dynamic and re-exports) from the demo.
  const specifier = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)"([^"]+)"/g;
  const seen = new Set<string>();
  const packages = new Set<string>();
  const pending = [new URL("examples/wordcount.ts", root)];
  for (let url; (url = pending.pop()) !== undefined;) {
    if (seen.has(url.href)) continue;
    seen.add(url.href);
    const source = await readFile(url, "utf8");
    // Comments hold examples that import the public specifiers; they are not loaded.
    const code = source.replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, "");
    for (const [, target] of code.matchAll(specifier)) {
      if (target!.startsWith(".")) pending.push(new URL(target!, url));
      else if (!target!.startsWith("node:")) packages.add(target!);
    }
  }
  assert.ok(seen.has(new URL("connectors/mod.ts", root).href), "the walk reached the connectors");
  assert.deepEqual([...packages], []);
});
