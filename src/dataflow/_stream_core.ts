/**
 * What a `Stream` is inside: its flow, the port it reads and the
 * scope its steps' ids nest in. Kept off the public class, in a map only
 * runnel's own modules read, so that steps can add nodes without the class
 * exposing its plumbing.
 *
 * @module
 */

import type { Port, StepNode } from "./graph.ts";
import { joinPath } from "./step_id.ts";

/** The flow as its streams see it. */
export interface FlowCore {
  /** Reserves the path of step `id` under `parent`, throwing if it is taken. */
  reservePath(parent: string, id: string): string;
  /** Adds a node to the graph. */
  addNode(node: StepNode): void;
}

/** A stream's insides. */
export interface StreamCore {
  /** The flow. */
  readonly flow: FlowCore;
  /** The port the stream reads. */
  readonly port: Port;
  /** The path its steps' ids nest under. */
  readonly scope: string;
  /** A stream of the same class over `port`, its steps nested under `scope`. */
  derive(port: Port, scope: string): unknown;
}

const cores = new WeakMap<object, StreamCore>();

/** Records the insides of `stream`; its constructor calls this. */
export function registerStream(stream: object, core: StreamCore): void {
  cores.set(stream, core);
}

/** The insides of `stream`, or `undefined` for anything that is not a stream. */
export function streamCore(stream: unknown): StreamCore | undefined {
  return typeof stream === "object" && stream !== null ? cores.get(stream) : undefined;
}

function coreOf(stream: object): StreamCore {
  const core = cores.get(stream);
  if (core === undefined) throw new TypeError("Cannot use a stream that runnel did not make");
  return core;
}

/**
 * The full path step `id` gets when added to `up`, such as `"f.count"`,
 * without reserving it; for messages of checks that run before it is.
 */
export function stepPath(up: object, id: string): string {
  return joinPath(coreOf(up).scope, id);
}
