/**
 * A real `denokv` server for the tests of a recovery store on a server:
 * started on a free 127.0.0.1 port with a random access token and a fresh
 * SQLite file, stopped by the test.
 *
 * The binary is `$RUNNEL_DENOKV`, else `denokv` on PATH (`cargo install
 * denokv`). Without it, {@linkcode denokvTest} skips its test outside CI and
 * fails it under `CI=true`, where nothing may skip.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import process from "node:process";
import { freePort } from "../src/runtime/exchange/tcp/_test_cluster.ts";

/** A running server; see {@linkcode startDenokv}. */
export interface Denokv {
  /** Its URL, as `Deno.openKv` and `runnel -r` take it. */
  readonly url: string;
  /** Its access token (for `DENO_KV_ACCESS_TOKEN`). */
  readonly token: string;
  /** What it printed so far. */
  output(): string;
  /** Stops it (SIGKILL) and removes its database; harmless when stopped already. */
  stop(): Promise<void>;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The `denokv` binary: `$RUNNEL_DENOKV`, else `denokv` on PATH; `undefined` when neither. */
export function denokvBinary(): string | undefined {
  const given = process.env.RUNNEL_DENOKV;
  if (given !== undefined && given !== "") return executable(given) ? given : undefined;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir !== "" && executable(join(dir, "denokv"))) return join(dir, "denokv");
  }
  return undefined;
}

const MISSING = "no denokv binary: set RUNNEL_DENOKV to its path, or put denokv on PATH " +
  "(cargo install denokv)";

/**
 * Registers a test that needs a `denokv` binary: skipped without one, unless
 * `CI=true`, where it fails saying the binary is missing.
 */
export function denokvTest(name: string, fn: () => Promise<void>): void {
  const missing = denokvBinary() === undefined;
  const ci = process.env.CI === "true";
  Deno.test({
    name,
    ignore: missing && !ci,
    fn: missing ? () => Promise.reject(new Error(`${name}: ${MISSING}`)) : fn,
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a server and waits until it answers. */
export async function startDenokv(): Promise<Denokv> {
  const binary = denokvBinary();
  if (binary === undefined) throw new Error(MISSING);
  const dir = await mkdtemp(join(tmpdir(), "runnel_denokv_"));
  const token = Array.from(
    crypto.getRandomValues(new Uint8Array(16)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(binary, [
    "--sqlite-path",
    join(dir, "kv.sqlite3"),
    "serve",
    "--addr",
    `127.0.0.1:${port}`,
    "--access-token",
    token,
  ], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const decoder = new TextDecoder();
  child.stdout!.on("data", (chunk: Uint8Array) => void (output += decoder.decode(chunk)));
  child.stderr!.on("data", (chunk: Uint8Array) => void (output += decoder.decode(chunk)));
  const exited = new Promise<void>((resolve) => {
    child.on("error", () => resolve());
    child.on("close", () => resolve());
  });
  let stopped = false;
  const stop = async () => {
    if (!stopped) {
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
      await rm(dir, { recursive: true, force: true });
    }
    await exited;
  };
  try {
    // It answers once its metadata endpoint does (with this token).
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`denokv exited before it answered: ${output}`);
      }
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ supportedVersions: [1, 2, 3] }),
        });
        await response.body?.cancel();
        if (response.status === 200) break;
        throw new Error(`denokv answered ${response.status}`);
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(`denokv did not answer on ${url} within 30 s (${error}): ${output}`);
        }
      }
      await sleep(50);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, token, output: () => output, stop };
}

/** The variable the servers' clients read their access token from. */
export const TOKEN = "DENO_KV_ACCESS_TOKEN";

/** Runs `fn` with `token` in the environment (children inherit it). */
export async function withToken(token: string, fn: () => Promise<void>): Promise<void> {
  const before = process.env[TOKEN];
  process.env[TOKEN] = token;
  try {
    await fn();
  } finally {
    if (before === undefined) delete process.env[TOKEN];
    else process.env[TOKEN] = before;
  }
}

/** Runs `fn` with a fresh server whose token is in the environment. */
export async function withDenokv(fn: (server: Denokv) => Promise<void>): Promise<void> {
  const server = await startDenokv();
  try {
    await withToken(server.token, () => fn(server));
  } finally {
    await server.stop();
  }
}
