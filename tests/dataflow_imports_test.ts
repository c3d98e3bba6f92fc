import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const DATAFLOW = fileURLToPath(new URL("../src/dataflow/", import.meta.url));

/** Every non-test module under `dir`. */
async function modules(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...await modules(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) out.push(path);
  }
  return out;
}

const IMPORT = /^(import|export)\s+(type\s+)?([^;]*?)\s*from\s+"(\.[^"]+)"/gms;

/** The modules of `src/dataflow/` each one imports from; with `values`, type-only imports left out. */
async function imports(values: boolean): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const file of await modules(DATAFLOW)) {
    const targets: string[] = [];
    for (const [, , typeOnly, names, spec] of (await readFile(file, "utf8")).matchAll(IMPORT)) {
      // `import { type A, type B }` loads nothing at run time either.
      const allTypes = /^\{\s*(type\s+[\w$]+(\s+as\s+[\w$]+)?\s*,?\s*)+\}$/.test(names!);
      const target = join(dirname(file), spec!);
      if (values && (typeOnly || allTypes)) continue;
      if (target.startsWith(DATAFLOW)) targets.push(target);
    }
    graph.set(file, targets);
  }
  return graph;
}

/** Fails naming the first circle found in `graph`. */
function assertNoCircle(graph: Map<string, string[]>): void {
  assert.ok(graph.size > 20, `found only ${graph.size} modules`);
  const done = new Set<string>();
  const visit = (file: string, path: string[]): void => {
    const at = path.indexOf(file);
    if (at >= 0) {
      const circle = path.slice(at).concat(file).map((f) => relative(DATAFLOW, f));
      assert.fail(`import circle: ${circle.join(" -> ")}`);
    }
    if (done.has(file)) return;
    for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    done.add(file);
  };
  for (const file of graph.keys()) visit(file, []);
}

Deno.test("no two modules of src/dataflow import values from each other in a circle", async () => {
  assertNoCircle(await imports(true));
});

// Types too: a circle of type-only imports still ties the modules' declarations together.
Deno.test("no two modules of src/dataflow import types from each other in a circle", async () => {
  assertNoCircle(await imports(false));
});
