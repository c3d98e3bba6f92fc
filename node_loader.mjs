// `node --import ./node_loader.mjs cli.ts run flow.ts` runs runnel's
// TypeScript (and a flow's) on Node 20, which cannot strip types itself,
// with esbuild (`npm install esbuild`). Unlike tsx, whose loader registers on
// the main thread only, this one registers in every Worker thread too (a
// Worker inherits the `--import`), so `-w N` and clusters work. Stack traces
// point into the `.ts` sources through inline source maps.

import { register } from "node:module";
import process from "node:process";

register(new URL("./node_loader_hooks.mjs", import.meta.url));
process.setSourceMapsEnabled(true);
