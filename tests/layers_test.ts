/**
 * The layer map, checked: imports point down only, and only the platform
 * adapters touch a runtime's own API. Reads every source file of the
 * project (not tests, benchmarks or examples), finds its imports (`import`,
 * `import type`, `export … from` and `import("…")` with a literal string)
 * and its uses of `Deno` and `Bun`, and fails on an edge the map forbids,
 * naming the file, the line and the edge.
 *
 * Plain TypeScript over `node:fs`, so it runs on Deno, Bun and Node.
 *
 * @module
 */

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { posix } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** A forbidden edge: files under `from` must not import files under any of `to`. */
interface Rule {
  readonly from: string;
  readonly to: readonly string[];
  readonly why: string;
}

const RULES: readonly Rule[] = [
  {
    from: "operators/",
    to: ["src/", "connectors/", "mod.ts", "browser.ts", "cli.ts"],
    why: "layer 1 imports nothing of the layers above it",
  },
  {
    from: "src/dataflow/",
    to: ["src/runtime/", "src/cli/", "src/viz/", "connectors/", "mod.ts", "browser.ts", "cli.ts"],
    why: "layer 2 is the graph as data: it never runs, draws or feeds one",
  },
  {
    from: "src/viz/",
    to: ["src/runtime/", "src/cli/", "connectors/", "mod.ts", "browser.ts", "cli.ts"],
    why: "pictures are drawn from data, with no runtime",
  },
  {
    from: "src/runtime/",
    to: ["connectors/", "src/cli/", "mod.ts", "browser.ts", "cli.ts"],
    why: "the runtime runs graphs; connectors and the CLI build on it",
  },
];

// Only these files may use `Deno.*`, `Bun.*` or `node:*`: everything else
// runs on every runtime through them.
const PLATFORM = "src/runtime/platform/";

// Not part of the library: tests, their helpers and fixtures, benchmarks
// and examples may use Deno, Bun and Node directly. Nothing else is exempt.
function isExempt(path: string): boolean {
  return /(^|\/)(tests|bench|examples)\//.test(path) || /(^|\/|_)test(_[^/]*)?\.ts$/.test(path);
}

// Directories that hold no project source.
const SKIPPED_DIRS = new Set([".git", ".ci", "node_modules", "dist", "notebooks"]);

/** One finding: where, and what. */
interface Finding {
  readonly file: string;
  readonly line: number;
  readonly what: string;
}

/**
 * The source with comments blanked out (`code`), and also with the text of
 * strings, template literals and regular expressions blanked (`bare`). Both
 * keep every offset and line break of the source.
 */
function blank(source: string): { code: string; bare: string } {
  const code = source.split("");
  const bare = source.split("");
  const clear = (from: number, to: number, both: boolean) => {
    for (let i = from; i < to; i++) {
      if (source[i] === "\n") continue;
      bare[i] = " ";
      if (both) code[i] = " ";
    }
  };
  // What each open `{` is: a block or object, or a template's `${`.
  const braces: ("code" | "template")[] = [];
  let last = ""; // the last significant token, to tell a regex from a division
  let i = 0;
  const n = source.length;
  const template = () => {
    // At the character after a backquote or a `}` closing `${`.
    const start = i;
    while (i < n) {
      const c = source[i]!;
      if (c === "\\") i += 2;
      else if (c === "`") {
        clear(start, i, false);
        i++;
        last = "`";
        return;
      } else if (c === "$" && source[i + 1] === "{") {
        clear(start, i, false);
        braces.push("template");
        i += 2;
        last = "{";
        return;
      } else i++;
    }
    clear(start, n, false);
  };
  while (i < n) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      const end = source.indexOf("\n", i);
      clear(i, end === -1 ? n : end, true);
      i = end === -1 ? n : end;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      clear(i, end === -1 ? n : end + 2, true);
      i = end === -1 ? n : end + 2;
    } else if (c === '"' || c === "'") {
      const start = ++i;
      while (i < n && source[i] !== c && source[i] !== "\n") i += source[i] === "\\" ? 2 : 1;
      clear(start, i, false);
      i++;
      last = c;
    } else if (c === "`") {
      i++;
      template();
    } else if (c === "/" && regexMayStart(last)) {
      const start = i++;
      let inClass = false;
      while (i < n && source[i] !== "\n") {
        const r = source[i]!;
        if (r === "\\") i++;
        else if (r === "[") inClass = true;
        else if (r === "]") inClass = false;
        else if (r === "/" && !inClass) break;
        i++;
      }
      i++;
      while (i < n && /\w/.test(source[i]!)) i++;
      clear(start, i, false);
      last = "/regex/";
    } else if (c === "{") {
      braces.push("code");
      last = c;
      i++;
    } else if (c === "}") {
      i++;
      if (braces.pop() === "template") template();
      else last = c;
    } else if (/[\w$]/.test(c)) {
      const start = i;
      while (i < n && /[\w$]/.test(source[i]!)) i++;
      last = source.slice(start, i);
    } else {
      if (!/\s/.test(c)) last = c;
      i++;
    }
  }
  return { code: code.join(""), bare: bare.join("") };
}

const REGEX_AFTER_WORD = new Set([
  "return",
  "typeof",
  "case",
  "do",
  "else",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "yield",
  "await",
]);

// A `/` starts a regular expression where an expression may start.
function regexMayStart(last: string): boolean {
  if (last === "") return true;
  if (/^[\w$]/.test(last)) return REGEX_AFTER_WORD.has(last);
  return "(,=:[!&|?{};+-*%<>~^".includes(last);
}

function lineOf(source: string, offset: number): number {
  let line = 1;
  for (let i = source.indexOf("\n"); i !== -1 && i < offset; i = source.indexOf("\n", i + 1)) {
    line++;
  }
  return line;
}

/** One import of a file: what it names, where, and how it loads. */
interface Import {
  readonly specifier: string;
  readonly line: number;
  readonly at: number;
  /** `import`/`export … from` of values, `import type`, or `import()`. */
  readonly kind: "static" | "type" | "dynamic";
}

/** Every module specifier a file imports or re-exports, with its line. */
function importsOf(source: string): Import[] {
  const { code, bare } = blank(source);
  const found: Import[] = [];
  const patterns: [RegExp, (match: RegExpMatchArray) => Import["kind"]][] = [
    // import x from "…", import type { X } from "…", import "…", export * from "…"
    [
      /\b(?:import|export)\s+(type\s+)?(?:[\w$*\s{},]*?\s*from\s*)?(["'])([^"'\n]+)\2/g,
      (match) => match[1] === undefined ? "static" : "type",
    ],
    // import("…"), import(`…`) without substitutions
    [/\bimport\s*\(\s*()(["'`])([^"'`$\n]+)\2\s*[,)]/g, () => "dynamic"],
  ];
  for (const [pattern, kind] of patterns) {
    for (const match of code.matchAll(pattern)) {
      // The keyword itself must be code, not the text of a string.
      if (bare.slice(match.index, match.index + 6) !== code.slice(match.index, match.index + 6)) {
        continue;
      }
      found.push({
        specifier: match[3]!,
        line: lineOf(source, match.index!),
        at: match.index!,
        kind: kind(match),
      });
    }
  }
  return found.sort((a, b) => a.at - b.at);
}

/** Every use of the `Deno` or `Bun` global in a file's code, with its line. */
function runtimeGlobalsOf(source: string): { name: string; line: number }[] {
  const { bare } = blank(source);
  return [...bare.matchAll(/(?<![\w$])(Deno|Bun)(?![\w$])/g)].map((match) => ({
    name: match[1]!,
    line: lineOf(source, match.index),
  }));
}

/**
 * The forbidden edges among `files` (path relative to the root, with `/`,
 * to source text).
 */
function findViolations(files: ReadonlyMap<string, string>): Finding[] {
  const findings: Finding[] = [];
  for (const [file, source] of files) {
    if (isExempt(file)) continue;
    const platform = file.startsWith(PLATFORM);
    for (const { specifier, line } of importsOf(source)) {
      if (specifier.startsWith("node:") && !platform) {
        findings.push({
          file,
          line,
          what: `imports "${specifier}": only ${PLATFORM} may use node:*`,
        });
        continue;
      }
      if (!specifier.startsWith("./") && !specifier.startsWith("../")) continue;
      const target = posix.normalize(posix.join(posix.dirname(file), specifier));
      for (const rule of RULES) {
        if (!file.startsWith(rule.from)) continue;
        const to = rule.to.find((prefix) => target === prefix || target.startsWith(prefix));
        if (to !== undefined) {
          findings.push({
            file,
            line,
            what: `imports ${target}: ${rule.from} must not import ${to} (${rule.why})`,
          });
        }
      }
    }
    if (!platform) {
      for (const { name, line } of runtimeGlobalsOf(source)) {
        findings.push({ file, line, what: `uses ${name}: only ${PLATFORM} may use ${name}.*` });
      }
    }
  }
  return findings;
}

/** The project's TypeScript files, by path relative to the root. */
function projectFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(posix.join(ROOT, dir), { withFileTypes: true })) {
      const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(path);
      } else if (entry.isFile() && path.endsWith(".ts")) {
        files.set(path, readFileSync(posix.join(ROOT, path), "utf8"));
      }
    }
  };
  walk("");
  return files;
}

const format = (f: Finding) => `${f.file}:${f.line}: ${f.what}`;

Deno.test("the layer map holds: imports point down, and only platform/ touches Deno, Bun and node:*", () => {
  const files = projectFiles();
  // The walk found the layers (a wrong root would pass vacuously).
  for (const file of ["operators/map.ts", "src/dataflow/stream.ts", "src/runtime/run.ts"]) {
    assert.ok(files.has(file), `${file} was not found under ${ROOT}`);
  }
  const findings = findViolations(files).map(format);
  if (findings.length > 0) {
    assert.fail(`The layer map is broken:\n${findings.join("\n")}`);
  }
});

Deno.test("the layer check finds import, import type, export from and import() edges, with lines", () => {
  const source = [
    `import { a } from "../runtime/run.ts";`,
    `import type {`,
    `  B,`,
    `} from '../../connectors/mod.ts';`,
    `export * from "../cli/main.ts";`,
    `const c = await import("../runtime/platform/deno.ts");`,
    `import "../viz/mermaid.ts";`,
    `import { ok } from "./graph.ts";`,
  ].join("\n");
  assert.deepEqual(findViolations(new Map([["src/dataflow/x.ts", source]])).map(format), [
    "src/dataflow/x.ts:1: imports src/runtime/run.ts: src/dataflow/ must not import src/runtime/ (layer 2 is the graph as data: it never runs, draws or feeds one)",
    "src/dataflow/x.ts:2: imports connectors/mod.ts: src/dataflow/ must not import connectors/ (layer 2 is the graph as data: it never runs, draws or feeds one)",
    "src/dataflow/x.ts:5: imports src/cli/main.ts: src/dataflow/ must not import src/cli/ (layer 2 is the graph as data: it never runs, draws or feeds one)",
    "src/dataflow/x.ts:6: imports src/runtime/platform/deno.ts: src/dataflow/ must not import src/runtime/ (layer 2 is the graph as data: it never runs, draws or feeds one)",
    "src/dataflow/x.ts:7: imports src/viz/mermaid.ts: src/dataflow/ must not import src/viz/ (layer 2 is the graph as data: it never runs, draws or feeds one)",
  ]);
});

Deno.test("the layer check ignores comments, strings, templates and regexes, but not code inside ${}", () => {
  const source = [
    `// import { a } from "../src/runtime/run.ts"; Deno.exit(1)`,
    `/** @example`,
    ` * import assert from "node:assert/strict";`,
    ` * await Deno.writeTextFile("x", "y");`,
    ` */`,
    `const s = "Deno.exit(); import x from '../src/x.ts'";`,
    "const t = `Bun.spawn ${1 + 1} import '../src/y.ts'`;",
    `const r = /Deno\\.\\w+/g, half = 1 / 2 / 3;`,
    "const u = `${Deno.pid}`;",
    `const v = (globalThis as { Bun?: unknown }).Bun;`,
  ].join("\n");
  assert.deepEqual(findViolations(new Map([["operators/x.ts", source]])).map(format), [
    "operators/x.ts:9: uses Deno: only src/runtime/platform/ may use Deno.*",
    "operators/x.ts:10: uses Bun: only src/runtime/platform/ may use Bun.*",
    "operators/x.ts:10: uses Bun: only src/runtime/platform/ may use Bun.*",
  ]);
});

Deno.test("the layer check lets platform/ use node:* and Deno, and exempts only tests, benches and examples", () => {
  const source = `import { readFile } from "node:fs/promises";\nDeno.exit(0);`;
  const files = new Map([
    ["src/runtime/platform/node.ts", source],
    ["src/runtime/run_test.ts", source],
    ["connectors/_test_helpers.ts", source],
    ["tests/cli_test.ts", source],
    ["bench/x_bench.ts", source],
    ["examples/wordcount.ts", source],
    ["cli.ts", source],
    ["connectors/file_source.ts", source],
  ]);
  assert.deepEqual(findViolations(files).map(format), [
    `cli.ts:1: imports "node:fs/promises": only src/runtime/platform/ may use node:*`,
    "cli.ts:2: uses Deno: only src/runtime/platform/ may use Deno.*",
    `connectors/file_source.ts:1: imports "node:fs/promises": only src/runtime/platform/ may use node:*`,
    "connectors/file_source.ts:2: uses Deno: only src/runtime/platform/ may use Deno.*",
  ]);
});

/**
 * The npm packages (bare specifiers) that loading `entry` loads: its static
 * imports followed through the project's files; `import type` and
 * `import()` are not, since they load nothing at start.
 */
function packagesLoadedBy(files: ReadonlyMap<string, string>, entry: string): string[] {
  const packages: string[] = [];
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !files.has(file)) return;
    seen.add(file);
    for (const { specifier, kind } of importsOf(files.get(file)!)) {
      if (kind !== "static") continue;
      if (specifier.startsWith("./") || specifier.startsWith("../")) {
        visit(posix.normalize(posix.join(posix.dirname(file), specifier)));
      } else if (!specifier.startsWith("node:")) {
        packages.push(`${file} imports ${specifier}`);
      }
    }
  };
  visit(entry);
  assert.ok(files.has(entry), `${entry} was not found`);
  return packages;
}

Deno.test("the CLI and mod.ts load no npm package as they start: the codec comes with recovery, threads or a cluster", () => {
  const files = projectFiles();
  for (const entry of ["cli.ts", "mod.ts"]) assert.deepEqual(packagesLoadedBy(files, entry), []);
  // The walk finds one when there is one.
  const codec = "src/runtime/exchange/codec.ts";
  assert.ok(packagesLoadedBy(files, codec).some((found) => found.includes("cbor-x")));
});
