// Module hooks that let Node 20 import runnel's TypeScript files: each `.ts`
// file is transpiled on load, one file at a time, with esbuild. Types are
// stripped and nothing else changes: no bundling, no down-levelling, so a
// feature Node 20 lacks fails here as it would in a user's build.
// Registered by node_loader.mjs; this file runs on Node's hooks thread.

import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { transform } from "esbuild";

const TYPESCRIPT = /\.[cm]?tsx?$/;

/**
 * Loads `.ts` files as ES modules transpiled to JavaScript; everything else
 * goes to Node's own loader.
 */
export async function load(url, context, nextLoad) {
  if (!url.startsWith("file:") || !TYPESCRIPT.test(new URL(url).pathname)) {
    return nextLoad(url, context);
  }
  const path = fileURLToPath(url);
  const { code } = await transform(await readFile(path, "utf8"), {
    loader: url.endsWith("x") ? "tsx" : "ts",
    format: "esm",
    target: "esnext",
    sourcefile: path,
    sourcemap: "inline",
  });
  return { format: "module", source: code, shortCircuit: true };
}
