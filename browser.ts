/**
 * The browser build's entry point: runnel's runtime-free core in one module.
 *
 * `deno task build` bundles this file into `dist/runnel.js`, one ESM file a
 * page can import. It holds what needs no host runtime: the layer-1
 * operators (`@runnel/runnel/operators`), dataflows run on a single worker
 * with their steps, clocks and windows (`@runnel/runnel`), and the testing
 * source, sink and time (`@runnel/runnel/testing`), all as flat exports.
 *
 * The file and stdio connectors, the CLI and the platform adapters are left
 * out: they read files, standard streams and arguments, which a page does
 * not have. Give a flow any `Iterable` or `AsyncIterable` as input instead
 * (a WebSocket feed, `ReadableStream` chunks, DOM events through an async
 * generator) and collect or forward its output with a sink of your own.
 *
 * @example Averages per five-second window, as a page runs them
 * ```ts
 * import { Dataflow, EventClock, TestingSink, TumblingWindower, run } from "./browser.ts";
 * import assert from "node:assert/strict";
 *
 * const events = [
 *   { user: "123", value: 5, time: "2023-01-01T00:00:00Z" },
 *   { user: "123", value: 7, time: "2023-01-01T00:00:01Z" },
 *   { user: "123", value: 2, time: "2023-01-01T00:00:07Z" },
 * ];
 * const out: [string, [number, number]][] = [];
 * const flow = new Dataflow("seed");
 * flow.input("inp", events)
 *   .keyOn("user", (e) => e.user)
 *   .collectWindow("collect", {
 *     clock: EventClock((e: (typeof events)[number]) => new Date(e.time), {
 *       waitForSystemDuration: 10_000,
 *     }),
 *     windower: TumblingWindower({ length: 5_000, alignTo: new Date("2023-01-01T00:00:00Z") }),
 *   })
 *   .down.mapValue("avg", ([id, es]) => [id, es.reduce((s, e) => s + e.value, 0) / es.length])
 *   .output("out", new TestingSink(out));
 * await run(flow);
 * assert.deepEqual(out, [["123", [0, 6]], ["123", [1, 2]]]);
 * ```
 *
 * @module
 */

export * from "./mod.ts";
export * from "./operators/mod.ts";
export * from "./connectors/testing.ts";
