/**
 * Ctrl-C (SIGINT) handling for the CLI.
 *
 * A stopgap: the platform adapter does not offer signal handling yet, so
 * this file reaches the runtime's own API through `globalThis` (Deno's
 * `addSignalListener`, `process.on` on Node and Bun). It moves into the
 * platform adapter once that has `onSignal`.
 *
 * @module
 */

interface DenoSignals {
  addSignalListener(signal: "SIGINT", handler: () => void): void;
  removeSignalListener(signal: "SIGINT", handler: () => void): void;
}

interface NodeSignals {
  on(signal: "SIGINT", handler: () => void): unknown;
  off(signal: "SIGINT", handler: () => void): unknown;
}

/**
 * Calls `handler` on Ctrl-C instead of letting the process die, until the
 * returned function is called. Once no handler is listening, Ctrl-C ends
 * the process again.
 *
 * @param handler Called on each SIGINT.
 * @returns A function that removes the handler; calling it again is harmless.
 */
export function onInterrupt(handler: () => void): () => void {
  const global = globalThis as { Deno?: Partial<DenoSignals>; process?: Partial<NodeSignals> };
  let remove: () => void = () => {};
  const deno = global.Deno;
  const node = global.process;
  if (typeof deno?.addSignalListener === "function") {
    deno.addSignalListener("SIGINT", handler);
    remove = () => deno.removeSignalListener?.("SIGINT", handler);
  } else if (typeof node?.on === "function") {
    node.on("SIGINT", handler);
    remove = () => node.off?.("SIGINT", handler);
  }
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    remove();
  };
}
