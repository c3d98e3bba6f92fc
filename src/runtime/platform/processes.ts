/**
 * Child processes of runnel itself, for the local cluster launcher
 * (`runnel run -p P`): the same runtime, started on a module, with
 * standard output and error shared with this process.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { constants } from "node:os";
import process from "node:process";

/** How a child process ended. */
export interface ChildEnd {
  /** Its exit status: 128 + the signal's number when a signal ended it (as a shell says), 1 when it could not start. */
  readonly code: number;
  /** The signal that ended it, such as `"SIGKILL"`, if one did. */
  readonly signal?: string;
}

/** A child process started by {@linkcode startModule}. */
export interface ChildHandle {
  /** Settles once it ended. */
  readonly exited: Promise<ChildEnd>;
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
  const exited = new Promise<ChildEnd>((resolve) => {
    child.on("error", (error) => {
      running = false;
      onError(error);
      resolve({ code: 1 });
    });
    child.on("exit", (code, signal) => {
      running = false;
      if (signal === null) resolve({ code: code ?? 1 });
      else resolve({ code: 128 + (constants.signals[signal] ?? 0), signal });
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
