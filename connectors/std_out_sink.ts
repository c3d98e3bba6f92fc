/**
 * {@linkcode StdOutSink}: print items to standard output.
 *
 * @module
 */

import type { DynamicSink, StatelessSinkPartition } from "../src/dataflow/outputs.ts";
import { platform } from "../src/runtime/platform/platform.ts";
import { formatValue } from "../src/dataflow/_format.ts";

const encoder = new TextEncoder();

/**
 * Prints each item on its own line of standard output. Strings print as they
 * are; other values print as one-line JavaScript literals in `deno fmt`
 * style, identical on Deno, Bun and Node: `["to", 4]`,
 * `{ word: "to", count: 4 }`, `12n`; dates as ISO strings, and objects whose
 * class defines `toString` through it. (`console.log` is not used: its format
 * differs between runtimes and spans lines.)
 *
 * Every worker prints the items it has, one write per batch, so lines from
 * different workers interleave but never mix. Each write waits until standard
 * output accepted it, so a slow reader of the output slows the flow down
 * instead of filling memory.
 *
 * When the reader closes standard output (`runnel run flow.ts | head`), the
 * write fails with an error named `StdoutClosedError`, which stops the run
 * as any sink error does: sources stop and the other sinks are closed.
 * `runnel run` then exits quietly with code 0, as Unix tools do.
 *
 * **Resume: at-least-once.** Lines printed after the last snapshot are
 * printed again when the flow resumes.
 *
 * @example Printing a batch
 * ```ts
 * import { StdOutSink } from "@runnel/runnel/connectors";
 *
 * const writer = await new StdOutSink().build("demo.out", 0, 1);
 * // Prints:
 * // hello
 * // ["to", 4]
 * // { word: "to", count: 4 }
 * await writer.writeBatch(["hello", ["to", 4], { word: "to", count: 4 }]);
 * await writer.close?.();
 * ```
 */
export class StdOutSink implements DynamicSink<unknown> {
  /**
   * Builds this worker's writer.
   *
   * @param _stepId The output step's id (unused).
   * @param _workerIndex This worker's index (unused: every worker prints).
   * @param _workerCount How many workers run (unused).
   * @returns A writer printing one line per item.
   */
  build(
    _stepId: string,
    _workerIndex: number,
    _workerCount: number,
  ): StatelessSinkPartition<unknown> {
    return {
      async writeBatch(items: readonly unknown[]): Promise<void> {
        if (items.length === 0) return;
        let text = "";
        for (const item of items) {
          text += formatValue(item, { style: "literal", bareStrings: true }) + "\n";
        }
        await platform.writeStdout(encoder.encode(text));
      },
    };
  }
}
