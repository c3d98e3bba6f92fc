/**
 * The {@linkcode Platform} adapter for Node 20 and Bun, built on `node:fs`
 * and `node:process`, which both runtimes implement.
 *
 * @module
 */

import { mkdir, open, readdir, stat } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { readFileSync, realpathSync, type Stats } from "node:fs";
import { hostname } from "node:os";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { isMainThread } from "node:worker_threads";
import type {
  DirEntry,
  FileInfo,
  FileReader,
  FileWriter,
  KvDatabase,
  OpenReadOptions,
  OpenWriteOptions,
  Platform,
  StopSignal,
} from "./platform.ts";
import { StdoutClosedError } from "./stdout_closed.ts";
import { isLiveProcStat } from "./proc_stat.ts";
import { retryingWhenBusy, retryKvBusy } from "./kv_busy.ts";

let listeningToStdoutErrors = false;

const KV_PACKAGE = "@deno/kv";

// The part of the package's `openKv` used here.
type OpenKv = (
  path: string,
  options: { encodeV8: (value: unknown) => Uint8Array; decodeV8: (bytes: Uint8Array) => unknown },
) => Promise<unknown>;

// Deno KV values are bytes in runnel; a value of any other kind would need
// V8's serializer, which Bun lacks (its `node:v8` writes another format), so
// every runtime refuses it the same way.
function refuseNonBytes(): never {
  throw new TypeError("runnel stores only bytes (Uint8Array) in Deno KV");
}

// A value someone else stored with V8's serializer is not decoded (Bun
// cannot, and runnel has no use for it): it reads as this marker, which the
// reader reports as not bytes, naming its file, as Deno's decoded value is.
function notBytes(bytes: Uint8Array): unknown {
  return { notBytes: bytes.length };
}

// EPIPE: the reader of the pipe is gone; once it was seen the stream is
// destroyed, and later writes fail with ERR_STREAM_DESTROYED.
function isClosedPipe(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "EPIPE" || code === "ERR_STREAM_DESTROYED";
}

function toFileInfo(info: Stats): FileInfo {
  return {
    isFile: info.isFile(),
    isDirectory: info.isDirectory(),
    size: info.size,
    mtime: info.mtime ?? null,
    dev: info.dev ?? 0,
  };
}

class NodeFileReader implements FileReader {
  #handle: FileHandle | undefined;
  // Positional reads: the handle's own position is never used, so a seek is free.
  #position: number;

  constructor(handle: FileHandle, position: number) {
    this.#handle = handle;
    this.#position = position;
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    if (this.#handle === undefined) throw new Error("Cannot read file: it is closed");
    if (buffer.length === 0) return 0;
    const { bytesRead } = await this.#handle.read(buffer, 0, buffer.length, this.#position);
    if (bytesRead === 0) return null;
    this.#position += bytesRead;
    return bytesRead;
  }

  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
  }
}

class NodeFileWriter implements FileWriter {
  #handle: FileHandle | undefined;

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.#handle === undefined) throw new Error("Cannot write file: it is closed");
    // A single write may be partial; loop until every byte is down.
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await this.#handle.write(data, written, data.length - written);
      written += bytesWritten;
    }
  }

  async sync(): Promise<void> {
    if (this.#handle === undefined) throw new Error("Cannot sync file: it is closed");
    await this.#handle.datasync();
  }

  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
  }
}

/** Node's and Bun's implementation of {@linkcode Platform}. */
export const nodePlatform: Platform = {
  name: "Bun" in globalThis ? "bun" : "node",

  async openRead(path: string, options: OpenReadOptions = {}): Promise<FileReader> {
    return new NodeFileReader(await open(path, "r"), options.offset ?? 0);
  },

  async openWrite(path: string, options: OpenWriteOptions = {}): Promise<FileWriter> {
    // "a": create if missing, and every write lands at the end, after any truncation.
    const handle = await open(path, "a");
    try {
      if (options.truncateTo !== undefined) await handle.truncate(options.truncateTo);
    } catch (error) {
      await handle.close();
      throw error;
    }
    return new NodeFileWriter(handle);
  },

  async stat(path: string): Promise<FileInfo> {
    return toFileInfo(await stat(path));
  },

  async readDir(path: string): Promise<DirEntry[]> {
    const entries: DirEntry[] = [];
    for (const entry of await readdir(path, { withFileTypes: true })) {
      const name = String(entry.name);
      let isFile = entry.isFile();
      let isDirectory = entry.isDirectory();
      if (entry.isSymbolicLink()) {
        // Follow the link, as stat does; a dangling link is neither.
        try {
          const target = await stat(`${path}/${name}`);
          isFile = target.isFile();
          isDirectory = target.isDirectory();
        } catch {
          // Dangling: keep both false.
        }
      }
      entries.push({ name, isFile, isDirectory });
    }
    return entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  },

  async mkdir(path: string): Promise<void> {
    await mkdir(path, { recursive: true });
  },

  isNotFound(error: unknown): boolean {
    return (error as { code?: unknown } | null)?.code === "ENOENT";
  },

  stdin(): AsyncIterable<Uint8Array> {
    // A Readable yields Buffers, which are Uint8Arrays.
    return process.stdin as AsyncIterable<Uint8Array>;
  },

  writeStdout(data: Uint8Array): Promise<void> {
    // The write's callback reports a failed write; without a listener of our
    // own, the stream's "error" event would also end the process as an
    // uncaught error (a pipe into stdout, such as a worker's, rethrows it).
    if (!listeningToStdoutErrors) {
      listeningToStdoutErrors = true;
      process.stdout.on("error", () => {});
    }
    // The callback fires once this chunk is handed to the OS, so awaiting it
    // keeps at most one chunk buffered: that is the backpressure.
    return new Promise((resolve, reject) => {
      process.stdout.write(data, (error) => {
        if (!error) resolve();
        else if (isClosedPipe(error)) reject(new StdoutClosedError({ cause: error }));
        else reject(error);
      });
    });
  },

  args(): string[] {
    return process.argv.slice(2);
  },

  env(name: string): string | undefined {
    return process.env[name];
  },

  exit(code: number): never {
    return process.exit(code);
  },

  cwd(): string {
    return process.cwd();
  },

  onInterrupt(handler: (signal: StopSignal) => void): () => void {
    const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
    const listener = (signal: StopSignal) => handler(signal);
    for (const signal of signals) process.on(signal, listener);
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      for (const signal of signals) process.off(signal, listener);
    };
  },

  isMain(url: string): boolean {
    // A Worker thread sees the process's argv too, but runs no program of its own.
    if (!isMainThread) return false;
    // The entry point as given on the command line; module URLs name the
    // file with symlinks resolved, so resolve them here too.
    const entry = process.argv[1];
    if (entry === undefined) return false;
    try {
      return pathToFileURL(realpathSync(entry)).href === url;
    } catch {
      return false;
    }
  },

  async openKv(path: string): Promise<KvDatabase> {
    // Loaded on first use, by a name that is not a literal: only recovery
    // needs its native module, and a flow that never opens a store should
    // not make a first run resolve or download the package.
    const { openKv } = await import(KV_PACKAGE) as { openKv: OpenKv };
    const kv = await retryKvBusy(() =>
      openKv(path, { encodeV8: refuseNonBytes, decodeV8: notBytes })
    );
    return retryingWhenBusy(kv as unknown as KvDatabase);
  },

  pid(): number {
    return process.pid;
  },

  hostname(): string {
    try {
      return hostname();
    } catch {
      return "";
    }
  },

  isProcessAlive(pid: number): boolean | undefined {
    if (process.platform === "linux") {
      try {
        return isLiveProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
      } catch (error) {
        if ((error as { code?: unknown }).code === "ENOENT") return false;
      }
    }
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return code === "ESRCH" ? false : code === "EPERM" ? true : undefined;
    }
  },
};
