/**
 * The tests that cannot run on Bun or on Node, each with the reason.
 *
 * The test shim registers a listed test as skipped on the runtimes named;
 * the runner checks that the runtime skipped exactly as many tests as this
 * list names for it, so a stale entry or any other skip fails under CI.
 *
 * @module
 */

/** A runtime the shim serves. */
export type Runtime = "bun" | "node";

/** Tests that cannot run on some runtimes, and why. */
export interface Exclusion {
  /** Where the tests cannot run. */
  readonly runtimes: readonly Runtime[];
  /** Why, in one sentence. */
  readonly reason: string;
  /** The tests' exact names. */
  readonly tests: readonly string[];
}

/** Every exclusion. Keep it short: a test excluded here is a feature missing there. */
export const EXCLUDED: readonly Exclusion[] = [
  {
    runtimes: ["bun", "node"],
    reason: "the Deno adapter is built on Deno's API, which only Deno has",
    tests: [
      "deno adapter reads a file in chunks from a byte offset",
      "deno adapter appends, truncates to an offset and syncs",
      "deno adapter stats files and directories",
      "deno adapter reports missing files as not found",
      "deno adapter lists a directory sorted and filtered by a glob",
      "deno adapter reports args, env and cwd",
      "deno adapter copies stdin to stdout, knows its main module, hears Ctrl-C and exits with a code",
    ],
  },
  {
    runtimes: ["node"],
    reason: "Node 20 has no import.meta.main (24.2 added it), so the demo module run directly " +
      "does not start its flow; on Node it runs through the CLI, as the next test checks",
    tests: ["the wordcount demo prints the tutorial's 30 word counts, sorted by word"],
  },
];

/** Why `test` is excluded on `runtime`, or `undefined` if it runs there. */
export function exclusionReason(runtime: Runtime, test: string): string | undefined {
  return EXCLUDED.find((e) => e.runtimes.includes(runtime) && e.tests.includes(test))?.reason;
}

/** How many tests are excluded on `runtime`. */
export function excludedCount(runtime: Runtime): number {
  return EXCLUDED.filter((e) => e.runtimes.includes(runtime))
    .reduce((sum, e) => sum + e.tests.length, 0);
}
