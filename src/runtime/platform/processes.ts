/**
 * Child processes of runnel itself, for the local cluster launcher
 * (`runnel run -p P`): the same runtime, started on a module, with
 * standard output and error shared with this process.
 *
 * @module
 */

import { spawn } from "node:child_process";
import process from "node:process";

/** A child process started by {@linkcode startModule}. */
export interface ChildHandle {
  /** Settles with its exit status once it ended (1 when a signal ended it or it could not start). */
  readonly exited: Promise<number>;
  /** Whether it is still running. */
  readonly running: boolean;
  /** Sends it `signal`. */
  kill(signal: "SIGINT" | "SIGTERM" | "SIGHUP"): void;
}

/**
 * Starts `module` (a `file:` or remote URL) with `args` on this runtime (on
 * Deno with every permission), its output and errors on this process's, in
 * a process group of its own so that a terminal's Ctrl-C reaches it only
 * through this process.
 *
 * @param module The module.
 * @param args Its arguments.
 * @param onError Called when it could not start.
 * @returns The child.
 */
export function startModule(
  module: URL,
  args: readonly string[],
  onError: (error: Error) => void,
): ChildHandle {
  const path = module.protocol === "file:" ? decodeURIComponent(module.pathname) : module.href;
  const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
  const [exec, ...runtimeArgs] = deno !== undefined
    ? [deno.execPath(), "run", "-A", path]
    : [process.execPath, ...process.execArgv, path];
  const child = spawn(exec!, [...runtimeArgs, ...args], {
    stdio: ["ignore", "inherit", "inherit"],
    detached: true,
  });
  let running = true;
  const exited = new Promise<number>((resolve) => {
    child.on("error", (error) => {
      running = false;
      onError(error);
      resolve(1);
    });
    child.on("exit", (code) => {
      running = false;
      resolve(code ?? 1);
    });
  });
  return {
    exited,
    get running() {
      return running;
    },
    kill: (signal) => {
      if (running) child.kill(signal);
    },
  };
}
