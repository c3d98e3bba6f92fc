/**
 * Test helpers that work the same on Deno, Bun and Node: a temporary
 * directory, and running a TypeScript module in a child process of the
 * runtime running the tests. They use `node:*`, which all three implement,
 * so a test file that goes through them runs everywhere.
 *
 * @module
 */

import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** The runtime running the tests, told apart by what each reports in `process.versions`. */
export const runtime: "deno" | "bun" | "node" = "deno" in process.versions
  ? "deno"
  : "bun" in process.versions
  ? "bun"
  : "node";

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "runnel_test_"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Options for {@linkcode spawnModule}. */
export interface SpawnModuleOptions {
  /** The child's working directory; defaults to the parent's. */
  cwd?: string | URL;
  /** Variables added to the parent's environment. */
  env?: Record<string, string>;
  /** Deno's permission flags, for a child Deno. Defaults to `["--allow-all"]`. */
  denoFlags?: string[];
}

/** How a child process ended, with everything it printed. */
export interface ModuleOutput {
  /** The exit code, or `null` when a signal ended it. */
  code: number | null;
  /** The signal that ended it, if any. */
  signal: string | null;
  /** Standard output, decoded as UTF-8. */
  stdout: string;
  /** Standard error, decoded as UTF-8. */
  stderr: string;
}

/** A running child; see {@linkcode spawnModule}. */
export interface SpawnedModule {
  /** The process. */
  readonly child: ChildProcess;
  /** Standard output so far. */
  stdout(): string;
  /** Standard error so far. */
  stderr(): string;
  /** Writes `data` to the child's standard input. */
  write(data: Uint8Array): Promise<void>;
  /** Ends the child's standard input. */
  closeStdin(): void;
  /** Sends `signal` to the child. */
  kill(signal: NodeJS.Signals): void;
  /** Settles once the child has exited and its output is read. */
  readonly done: Promise<ModuleOutput>;
}

const NODE_TYPESCRIPT = new URL("../node_loader.mjs", import.meta.url).href;

/** The command that runs a TypeScript module on this runtime, as a user would. */
function command(module: string, args: string[], denoFlags: string[]): string[] {
  switch (runtime) {
    case "deno":
      return [process.execPath, "run", ...denoFlags, module, ...args];
    case "bun":
      return [process.execPath, module, ...args];
    case "node":
      // Node 20 cannot strip types; the test runner's hooks do it for the child too.
      return [process.execPath, "--import", NODE_TYPESCRIPT, module, ...args];
  }
}

/**
 * Starts `module` (a path or `file:` URL of a TypeScript module) in a child
 * process of the runtime running the tests, with piped standard streams.
 */
export function spawnModule(
  module: string | URL,
  args: string[] = [],
  options: SpawnModuleOptions = {},
): SpawnedModule {
  const path = module instanceof URL ? decodeURIComponent(module.pathname) : module;
  const [program, ...rest] = command(path, args, options.denoFlags ?? ["--allow-all"]);
  const cwd = options.cwd instanceof URL ? decodeURIComponent(options.cwd.pathname) : options.cwd;
  const child = spawn(program!, rest, {
    cwd,
    env: { ...process.env, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const out = { stdout: "", stderr: "" };
  const stdoutDecoder = new TextDecoder();
  const stderrDecoder = new TextDecoder();
  child.stdout!.on("data", (chunk: Uint8Array) => {
    out.stdout += stdoutDecoder.decode(chunk, { stream: true });
  });
  child.stderr!.on("data", (chunk: Uint8Array) => {
    out.stderr += stderrDecoder.decode(chunk, { stream: true });
  });
  const done = new Promise<ModuleOutput>((resolve, reject) => {
    child.on("error", reject);
    // "close" comes after "exit", once the output streams are drained.
    child.on("close", (code, signal) => {
      out.stdout += stdoutDecoder.decode();
      out.stderr += stderrDecoder.decode();
      resolve({ code, signal, ...out });
    });
  });
  return {
    child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    write: (data) =>
      new Promise<void>((resolve, reject) =>
        child.stdin!.write(data, (error) => error ? reject(error) : resolve())
      ),
    closeStdin: () => void child.stdin!.end(),
    // Not child.kill(): after it, Deno's node:child_process reports the
    // signal even when the child handled it and exited with a code.
    kill: (signal) => void process.kill(child.pid!, signal),
    done,
  };
}

/** Runs `module` as {@linkcode spawnModule} does, with an empty standard input, to its end. */
export function runModule(
  module: string | URL,
  args: string[] = [],
  options: SpawnModuleOptions = {},
): Promise<ModuleOutput> {
  const spawned = spawnModule(module, args, options);
  spawned.closeStdin();
  return spawned.done;
}
