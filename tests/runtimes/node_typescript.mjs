// `node --import ./tests/runtimes/node_typescript.mjs file.ts` runs a
// TypeScript module on Node 20, which cannot strip types itself. Stack
// traces point into the `.ts` sources through inline source maps.

import { register } from "node:module";
import process from "node:process";

register(new URL("./node_typescript_hooks.mjs", import.meta.url));
process.setSourceMapsEnabled(true);
