/**
 * Where the Workers of a threaded run find the flow: a module, its export,
 * and a factory's arguments. Each Worker imports the module and builds the
 * flow itself, since a flow (its callbacks, its sources) cannot be sent to
 * another thread.
 *
 * @module
 */

import type { Dataflow } from "../../dataflow/dataflow.ts";
import { flowFingerprint } from "../fingerprint.ts";
import { runsStarted } from "../run.ts";

/** A literal argument for a flow factory. */
export type FlowArgument = string | number | boolean | null;

/**
 * The module that builds a flow, as `RunOptions.module` takes it in full.
 *
 * @example Naming a factory and its arguments
 * ```ts
 * import type { FlowModule } from "@runnel/runnel";
 *
 * const module: FlowModule = { url: import.meta.url, export: "buildFlow", args: ["eu", 3] };
 * ```
 */
export interface FlowModule {
  /** The module's URL: `import.meta.url` in the module itself. */
  readonly url: string | URL;
  /**
   * The export holding the flow, or a function (maybe async) returning it.
   * Defaults to the export whose value is the flow given to `run`, else
   * `flow`, else `default`.
   */
  readonly export?: string;
  /** The arguments a factory export is called with. */
  readonly args?: readonly FlowArgument[];
}

/** A {@linkcode FlowModule} as sent to a Worker. */
export interface ResolvedFlowModule {
  readonly url: string;
  readonly export: string | undefined;
  readonly args: readonly FlowArgument[];
}

/**
 * The plain form of a module option. The module is not imported here: a
 * module that awaits its own run at its top level is still being evaluated,
 * and importing it would wait for that run.
 *
 * @param module The option.
 * @returns The URL, export and arguments.
 */
export function resolveFlowModule(module: string | URL | FlowModule): ResolvedFlowModule {
  const full: FlowModule = typeof module === "string" || module instanceof URL
    ? { url: module }
    : module;
  return { url: new URL(full.url).href, export: full.export, args: full.args ?? [] };
}

function isDataflow(value: unknown): value is Dataflow {
  if (value === null || typeof value !== "object") return false;
  const candidate = value as { id?: unknown; nodes?: unknown; constructor?: { name?: unknown } };
  return candidate.constructor?.name === "Dataflow" && typeof candidate.id === "string" &&
    Array.isArray(candidate.nodes);
}

/**
 * Builds the flow a module option names, as each Worker does: imports the
 * module, takes the export, and calls it with the arguments when it is a
 * function. Without an export named, the export whose graph has the
 * fingerprint `expected` is taken (the flow given to `run`), else `flow`,
 * else `default`.
 *
 * @param module The module option.
 * @param expected The fingerprint of the flow given to `run`.
 * @returns The flow.
 * @throws {TypeError} When the export is missing or not a flow, or the module ran a flow itself.
 */
export async function importFlow(module: ResolvedFlowModule, expected: string): Promise<Dataflow> {
  const before = runsStarted();
  const namespace = await import(module.url) as Record<string, unknown>;
  if (runsStarted() > before) {
    throw new TypeError(
      `Cannot build the flow in a Worker: ${module.url} ran a flow itself while it was imported; ` +
        "run it only when the module is the program (if (import.meta.main) ...)",
    );
  }
  const name = module.export ??
    Object.keys(namespace).find((key) => {
      const value = namespace[key];
      return isDataflow(value) && flowFingerprint(value) === expected;
    }) ?? ("flow" in namespace ? "flow" : "default");
  if (!(name in namespace)) {
    throw new TypeError(
      `Cannot build the flow in a Worker: ${module.url} has no export "${name}"` +
        (module.export === undefined ? "; name the flow's export in options.module" : ""),
    );
  }
  let value = namespace[name];
  if (typeof value === "function") value = await value(...module.args);
  if (!isDataflow(value)) {
    throw new TypeError(
      `Cannot build the flow in a Worker: export "${name}" of ${module.url} is not a Dataflow` +
        " or a function returning one",
    );
  }
  return value;
}
