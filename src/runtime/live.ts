/**
 * {@linkcode live}: runs a flow while one output of a notebook cell shows
 * its progress, redrawn in place.
 *
 * @module
 */

import type { Stream } from "../dataflow/stream.ts";
import type { Clock, ClockLogic } from "../dataflow/time/clock.ts";
import { livePanel, type LivePanelState } from "../viz/_live_panel.ts";
import { type DisplayFn, jupyterDisplay } from "./platform/jupyter.ts";
import { platform } from "./platform/platform.ts";
import { iterate } from "./run.ts";
import { realTime, type SystemTime } from "./system_time.ts";

/** Options for {@linkcode live}. */
export interface LiveOptions<T> {
  /** A heading for the panel. */
  title?: string;
  /** The run's system time, as `run(flow, { time })`; redraws are timed on it. Defaults to real time. */
  time?: SystemTime;
  /** Stops the run; `live` then resolves, with the panel saying it stopped. */
  signal?: AbortSignal;
  /** Milliseconds (on the run's time) between redraws while items arrive. Defaults to 250. */
  every?: number;
  /** How many of the latest items the panel lists. Defaults to 5. */
  latest?: number;
  /**
   * For a keyed stream (`[key, value]` items) that feeds a window step: the
   * window's clock. Each key's watermark is then worked out as the step
   * does, and shown.
   */
  watermark?: T extends readonly [string, infer V] ? Clock<V> : never;
  /**
   * Draws a picture under the numbers at each redraw, typically from what
   * the flow's sinks have collected so far (a `windowTimeline`, a `plot`).
   * If it throws, the panel shows the error and the run goes on.
   */
  picture?: () => { toString(): string } | string;
  /**
   * Where the panel goes. Defaults to the output of the running Deno Jupyter
   * cell; outside a notebook, nothing is shown and the flow just runs.
   */
  display?: DisplayFn;
}

// Cells re-run while their flow still runs (a `live` nobody awaited) stop
// the earlier run: one run per display id.
const RUNNING: Map<string, AbortController> = new Map();

/**
 * Runs the flow of `stream` and shows its progress in the notebook cell,
 * updating one output in place: the number of items that reached `stream`,
 * items per second, each key's watermark (given the window's clock as
 * `watermark`), the latest items, and a picture from `picture`. It redraws
 * at most every `every` ms as items arrive, and once more at the end.
 *
 * Interrupting the cell (Jupyter's stop button, which sends the kernel
 * SIGINT) or aborting `signal` stops the flow cleanly: every sink is
 * closed, the panel says where the run stopped, and `live` resolves. While
 * `live` runs it handles SIGINT in place of the kernel; the Deno kernel
 * otherwise ends on SIGINT.
 *
 * @param stream The stream to watch; its whole flow runs.
 * @param options Title, time, abort signal, redraw interval, watermark clock, picture.
 * @returns A promise that resolves when the flow has ended or been stopped,
 *   and rejects if it failed.
 *
 * @example Watching a flow (outside a notebook, through `display`)
 * ```ts
 * import { Dataflow } from "@runnel/runnel";
 * import { live } from "@runnel/runnel/jupyter";
 * import assert from "node:assert/strict";
 *
 * const shown: string[] = [];
 * const flow = new Dataflow("f");
 * const doubled = flow.input("inp", [1, 2, 3]).map("double", (x) => x * 2);
 * doubled.output("out", { build: () => ({ writeBatch() {} }) });
 * await live(doubled, {
 *   display: async (bundle) => void shown.push(bundle["text/plain"]!),
 * });
 * assert.match(shown.at(-1)!, /^ended: 3 items/);
 * ```
 */
export async function live<T>(stream: Stream<T>, options: LiveOptions<T> = {}): Promise<void> {
  const every = options.every ?? 250;
  const keep = options.latest ?? 5;
  if (!(every >= 0)) {
    throw new RangeError(
      `Cannot run live: every must be a non-negative number of ms, got ${every}`,
    );
  }
  if (!(Number.isInteger(keep) && keep >= 0)) {
    throw new RangeError(`Cannot run live: latest must be a non-negative integer, got ${keep}`);
  }
  const clock = options.time ?? realTime;
  const display = options.display ?? jupyterDisplay();
  const displayId = `runnel-live-${stream.flow.id}`;
  RUNNING.get(displayId)?.abort(new Error("the cell ran again"));
  const controller = new AbortController();
  RUNNING.set(displayId, controller);
  const onAbort = () => controller.abort(options.signal!.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const stopInterrupt = platform.onInterrupt(() => controller.abort(new Error("interrupted")));

  const start = clock.now();
  const latest: T[] = [];
  const clocks = new Map<string, ClockLogic<unknown>>();
  const watermarks = new Map<string, number>();
  let items = 0;
  let shown = false;
  let lastDraw = -Infinity;

  const draw = async (status: LivePanelState["status"], reason?: string) => {
    if (display === undefined) return;
    let picture: LivePanelState["picture"];
    if (options.picture !== undefined) {
      try {
        picture = { markup: String(options.picture()) };
      } catch (error) {
        picture = { error: error instanceof Error ? error.message : String(error) };
      }
    }
    const figure = livePanel({
      title: options.title,
      status,
      reason,
      items,
      elapsedMs: clock.now() - start,
      watermarks: options.watermark === undefined ? undefined : [...watermarks],
      latest,
      picture,
    });
    await display({ [figure.type]: figure.markup, "text/plain": figure.summary }, {
      displayId,
      update: shown,
    });
    shown = true;
  };

  const watermarkOf = (item: unknown) => {
    if (options.watermark === undefined) return;
    if (!Array.isArray(item) || typeof item[0] !== "string") {
      throw new TypeError(
        `Cannot show watermarks: expected [key, value] items, got ${JSON.stringify(item)}`,
      );
    }
    const key = item[0];
    let logic = clocks.get(key);
    if (logic === undefined) {
      logic = (options.watermark as Clock<unknown>).build(undefined, {
        stepId: `${stream.flow.id}.live`,
        now: () => clock.now(),
      });
      clocks.set(key, logic);
    }
    logic.beforeBatch();
    watermarks.set(key, logic.onItem(item[1])[1]);
  };

  try {
    await draw("running");
    lastDraw = clock.now();
    try {
      for await (const item of iterate(stream, { time: clock, signal: controller.signal })) {
        items++;
        latest.push(item);
        if (latest.length > keep) latest.shift();
        watermarkOf(item);
        if (clock.now() - lastDraw >= every) {
          await draw("running");
          lastDraw = clock.now();
        }
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
      const reason = controller.signal.reason;
      await draw("stopped", reason instanceof Error ? reason.message : String(reason));
      return;
    }
    for (const [key, logic] of clocks) watermarks.set(key, logic.onEof());
    await draw("ended");
  } finally {
    stopInterrupt();
    options.signal?.removeEventListener("abort", onAbort);
    if (RUNNING.get(displayId) === controller) RUNNING.delete(displayId);
  }
}
