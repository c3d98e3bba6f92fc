/**
 * The `runnel` command line: run a flow module, or draw it.
 *
 * ```sh
 * runnel run examples/wordcount.ts          # run until the inputs end
 * runnel run flows.ts:buildFlow -s 5        # a named export or factory, 5 s epochs
 * runnel visualize examples/wordcount.ts    # print a Mermaid flowchart
 * runnel --help
 * ```
 *
 * Install it with `deno install -g -A -n runnel jsr:@runnel/runnel/cli`, or
 * call it in place with `deno run -A jsr:@runnel/runnel/cli run flow.ts`;
 * in this repository, `deno task runnel run flow.ts`.
 *
 * @module
 */

import { main } from "./src/cli/main.ts";
import { platform } from "./src/runtime/platform/platform.ts";

export { main };
export type { CliIo } from "./src/cli/io.ts";
export type { StopSignal } from "./src/runtime/platform/platform.ts";

// Node has import.meta.main only from 24.2 on; before, the platform tells.
if (import.meta.main ?? platform.isMain(import.meta.url)) {
  platform.exit(await main(platform.args()));
}
