/**
 * The plumbing under `Stream`: what a stream is inside (its flow, the port
 * it reads, the scope its steps' ids nest in) and how a step is added to
 * it. Kept off the public class, in a map only runnel's own modules read:
 * the builders in `steps/` add nodes through these functions, and the
 * runtime finds a stream's port here.
 *
 * Nothing here imports `stream.ts`: a builder names the stream type it
 * returns, and a stream's `derive` makes it.
 *
 * @module
 */

import { checkCallback, checkSameFlow } from "./_errors.ts";
import type {
  BatchFn,
  ItemKeyedFold,
  ItemStage,
  ItemStageKind,
  KeyedFold,
  Port,
  StepContext,
  StepNode,
} from "./graph.ts";
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

/** The port `stream` reads. */
export function portOf(stream: object): Port {
  return coreOf(stream).port;
}

/**
 * Adds the node `make` builds (given the reserved path and the port of
 * `up`) and returns the stream of its output `name`, typed `S` by the caller.
 * Checks the caller runs before this leave the id free when they throw.
 */
export function addStep<S>(
  up: object,
  id: string,
  make: (path: string, port: Port) => StepNode,
  name = "down",
): S {
  const { flow, port, scope, derive } = coreOf(up);
  const node = make(flow.reservePath(scope, id), port);
  flow.addNode(node);
  return derive({ node, name }, scope) as S;
}

/** The stream of output `name` of `node`, which a step added to `up` built. */
export function outputOf<S>(up: object, node: StepNode, name: string): S {
  const { scope, derive } = coreOf(up);
  return derive({ node, name }, scope) as S;
}

/**
 * Adds a per-item stateless step: only its stage is recorded, and the
 * runtime compiles it. `fn`, when the kind takes one, is checked first.
 */
export function addStage<S>(
  up: object,
  id: string,
  kind: ItemStageKind,
  fn?: unknown,
  what = "mapper",
): S {
  let stage: ItemStage = { kind, what };
  if (fn !== undefined || (kind !== "keyRm" && kind !== "flatten")) {
    checkCallback(stepPath(up, id), what, fn);
    stage = { kind, what, fn: fn as (item: unknown) => unknown };
  }
  return addStep<S>(up, id, (path, port) => ({ kind: "flatMapBatch", path, up: port, stage }));
}

/**
 * Adds a batch step whose function `build(path)` makes once per worker and
 * run, from the step context.
 */
export function batchStep<S>(
  up: object,
  id: string,
  build: (path: string) => (ctx: StepContext) => BatchFn,
): S {
  return addStep<S>(up, id, (path, port) => ({
    kind: "flatMapBatch",
    path,
    up: port,
    build: build(path),
  }));
}

/**
 * Throws naming step `id` on `up` unless every one of `others` is a `what`
 * (a stream) of the flow of `up`. Runs before the id is reserved.
 */
export function checkInputs(
  up: object,
  id: string,
  others: readonly unknown[],
  what: string,
): void {
  const flow = coreOf(up).flow;
  checkSameFlow(stepPath(up, id), what, others, (other) => streamCore(other)?.flow === flow);
}

/**
 * Adds a keyed fold over `up` and `others` (a join's other sides), which
 * must be keyed streams of the same flow.
 */
export function keyedFold<S>(
  up: object,
  id: string,
  // deno-lint-ignore no-explicit-any
  build: (path: string) => KeyedFold<any> | ItemKeyedFold,
  others: readonly unknown[] = [],
): S {
  checkInputs(up, id, others, "keyed stream");
  return addStep<S>(up, id, (path, port) => ({
    kind: "keyedFold",
    path,
    ups: [port, ...others.map((other) => portOf(other as object))],
    fold: build(path),
  }));
}

/**
 * Runs `composite` on `up` with its steps nested under step `id`, and
 * returns what it returns with every stream in it back at the scope of `up`.
 * Streams of the flow among `args` are nested too.
 */
export function compose<R>(
  up: object,
  composite: unknown,
  id: string,
  args: readonly unknown[],
): R {
  checkCallback(stepPath(up, id), "composite", composite);
  const { flow, port, scope: outer, derive } = coreOf(up);
  const scope = flow.reservePath(outer, id);
  const nested = args.map((arg) => {
    const core = streamCore(arg);
    return core !== undefined && core.flow === flow ? derive(core.port, scope) : arg;
  });
  const result = (composite as (...args: unknown[]) => unknown)(derive(port, scope), ...nested);
  return rescope(result, outer) as R;
}

// Streams in a composite's result (alone, in arrays, in plain objects) are put back at `scope`.
function rescope(value: unknown, scope: string): unknown {
  const core = streamCore(value);
  if (core !== undefined) return core.derive(core.port, scope);
  if (Array.isArray(value)) return value.map((inner) => rescope(inner, scope));
  if (
    value !== null && typeof value === "object" &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    const out: Record<string, unknown> = {};
    for (const [name, inner] of Object.entries(value)) out[name] = rescope(inner, scope);
    return out;
  }
  return value;
}

/** Runs a stream's flow and yields the items that reach it. */
export type StreamRunner = (stream: object) => AsyncIterator<unknown>;

let streamRunner: StreamRunner | undefined;

/**
 * Sets how `for await` over a stream runs its flow. The entry points
 * (`mod.ts`, and the browser bundle through it) wire in the runtime's
 * `iterate`, so the graph layer needs no runtime.
 */
export function setStreamRunner(runner: StreamRunner): void {
  streamRunner = runner;
}

/** Starts running the flow of `stream`, yielding the items that reach it. */
export function runStream(stream: object): AsyncIterator<unknown> {
  if (streamRunner === undefined) {
    throw new Error(
      "Cannot iterate a stream: no runtime is loaded; import the stream API from runnel's mod.ts",
    );
  }
  return streamRunner(stream);
}
