/**
 * What the CLI needs from the process, as one replaceable object so `main`
 * can be tested without spawning.
 *
 * @module
 */

import { platform, type StopSignal } from "../runtime/platform/platform.ts";

/**
 * The process services the CLI uses; tests pass fakes.
 *
 * @example Capturing what the CLI writes
 * ```ts
 * import { type CliIo, main } from "@runnel/runnel/cli";
 * import assert from "node:assert/strict";
 *
 * let out = "";
 * let err = "";
 * const io: CliIo = {
 *   stdout: (text) => void (out += text),
 *   stderr: (text) => void (err += text),
 *   env: () => undefined,
 *   cwd: () => "/",
 *   onInterrupt: () => () => {},
 * };
 * assert.equal(await main(["--version"], io), 0);
 * assert.match(out, /^runnel \d+\.\d+\.\d+\n$/);
 * assert.equal(await main(["frobnicate"], io), 2);
 * assert.match(err, /^runnel: unknown command "frobnicate"/);
 * ```
 */
export interface CliIo {
  /** Writes `text` as it is to standard output. */
  stdout(text: string): void | Promise<void>;
  /** Writes `text` as it is to standard error. */
  stderr(text: string): void | Promise<void>;
  /** An environment variable, or `undefined` when unset. */
  env(name: string): string | undefined;
  /** The directory relative module paths start from. */
  cwd(): string;
  /**
   * Calls `handler` on Ctrl-C (SIGINT), SIGTERM and SIGHUP instead of
   * ending the process.
   *
   * @returns A function that removes the handler.
   */
  onInterrupt(handler: (signal: StopSignal) => void): () => void;
}

const encoder = new TextEncoder();

/** The real process: the platform adapter, and `console.error` for standard error. */
export const processIo: CliIo = {
  stdout: (text) => platform.writeStdout(encoder.encode(text)),
  // console.error ends with a newline of its own; every CLI message is whole lines.
  stderr: (text) => console.error(text.endsWith("\n") ? text.slice(0, -1) : text),
  env: (name) => platform.env(name),
  cwd: () => platform.cwd(),
  onInterrupt: (handler) => platform.onInterrupt(handler),
};
