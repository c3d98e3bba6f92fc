/**
 * {@linkcode Dataflow}: the graph a flow is built into.
 *
 * @module
 */

import type { Source } from "./inputs.ts";
import { isDynamicSource, isFixedPartitionedSource } from "./inputs.ts";
import type { StepNode } from "./graph.ts";
import { checkId, joinPath } from "./step_id.ts";
import { Stream } from "./stream.ts";

/**
 * A dataflow: a graph of steps from inputs to outputs, built with fluent
 * calls and run by `run(flow)`, by `for await` over one of its streams, or by
 * `runnel run flow.ts`.
 *
 * Building a flow runs nothing. Step ids are checked as the flow is built:
 * each must be unique within its parent and contain no `.` (the path
 * separator), so every step has a unique path such as `"wordcount.count"`.
 *
 * @example Building and running a flow
 * ```ts
 * import { Dataflow, run } from "@runnel/runnel";
 * import { TestingSink } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const out: number[] = [];
 * const flow = new Dataflow("double");
 * flow.input("inp", [1, 2, 3])
 *   .map("double", (x) => x * 2)
 *   .output("out", new TestingSink(out));
 *
 * await run(flow);
 * assert.deepEqual(out, [2, 4, 6]);
 * ```
 */
export class Dataflow {
  /** The flow id: the first segment of every step path. */
  readonly id: string;
  readonly #nodes: StepNode[] = [];
  readonly #paths = new Set<string>();

  /**
   * Makes an empty flow.
   *
   * @param id The flow id: non-empty, no `.` and no white space.
   * @throws {TypeError} When the id is malformed.
   */
  constructor(id: string) {
    this.id = checkId("flow id", id);
  }

  /**
   * Adds an input step reading from `source`.
   *
   * @typeParam T The items the source produces.
   * @param id The step id, unique in the flow.
   * @param source A `FixedPartitionedSource`, a `DynamicSource`, or any
   *   `Iterable`/`AsyncIterable` (read by worker 0 only).
   * @returns The stream of the source's items.
   * @throws {TypeError} When the id is taken or malformed, or `source` is none of the above.
   */
  input<T>(id: string, source: Source<T>): Stream<T> {
    const path = joinPath(this.id, checkId("step id", id));
    if (
      source === null || typeof source !== "object" ||
      !(isFixedPartitionedSource(source) || isDynamicSource(source) ||
        Symbol.iterator in source || Symbol.asyncIterator in source)
    ) {
      throw new TypeError(
        `Cannot add input step "${path}": expected a source, an Iterable or an AsyncIterable, got ${
          source === null ? "null" : typeof source
        }`,
      );
    }
    this.reservePath(this.id, id);
    const node: StepNode = { kind: "input", path, source };
    this.addNode(node);
    return new Stream<T>(this, { node, name: "down" }, this.id);
  }

  /**
   * The flow's nodes in the order they were added (upstream before downstream).
   *
   * @internal Used by the runtime and by graph renderers.
   */
  get nodes(): readonly StepNode[] {
    return this.#nodes;
  }

  /**
   * Checks `id` and reserves the path `parent.id`.
   *
   * @internal Used by {@linkcode Stream} when it adds steps.
   */
  reservePath(parent: string, id: string): string {
    checkId("step id", id);
    const path = joinPath(parent, id);
    if (this.#paths.has(path)) {
      throw new TypeError(`Cannot add step "${path}": a step with this id already exists`);
    }
    this.#paths.add(path);
    return path;
  }

  /**
   * Appends a node to the graph.
   *
   * @internal Used by {@linkcode Stream} when it adds steps.
   */
  addNode(node: StepNode): void {
    this.#nodes.push(node);
  }
}
