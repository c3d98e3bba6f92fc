/**
 * The {@linkcode Platform} adapter for Deno.
 *
 * @module
 */

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

function toFileInfo(info: Deno.FileInfo): FileInfo {
  return {
    isFile: info.isFile,
    isDirectory: info.isDirectory,
    size: info.size,
    mtime: info.mtime,
    dev: info.dev ?? 0,
  };
}

class DenoFileReader implements FileReader {
  #file: Deno.FsFile | undefined;

  constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    if (this.#file === undefined) throw new Error("Cannot read file: it is closed");
    if (buffer.length === 0) return 0;
    // Deno may report 0 bytes on some special files; keep reading until data or EOF.
    for (;;) {
      const n = await this.#file.read(buffer);
      if (n === null || n > 0) return n;
    }
  }

  close(): Promise<void> {
    this.#file?.close();
    this.#file = undefined;
    return Promise.resolve();
  }
}

class DenoFileWriter implements FileWriter {
  #file: Deno.FsFile | undefined;

  constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  async write(data: Uint8Array): Promise<void> {
    if (this.#file === undefined) throw new Error("Cannot write file: it is closed");
    // A single write may be partial; loop until every byte is down.
    let written = 0;
    while (written < data.length) {
      written += await this.#file.write(data.subarray(written));
    }
  }

  async sync(): Promise<void> {
    if (this.#file === undefined) throw new Error("Cannot sync file: it is closed");
    await this.#file.syncData();
  }

  close(): Promise<void> {
    this.#file?.close();
    this.#file = undefined;
    return Promise.resolve();
  }
}

/** Deno's implementation of {@linkcode Platform}. */
export const denoPlatform: Platform = {
  name: "deno",

  async openRead(path: string, options: OpenReadOptions = {}): Promise<FileReader> {
    const file = await Deno.open(path, { read: true });
    try {
      if (options.offset) await file.seek(options.offset, Deno.SeekMode.Start);
    } catch (error) {
      file.close();
      throw error;
    }
    return new DenoFileReader(file);
  },

  async openWrite(path: string, options: OpenWriteOptions = {}): Promise<FileWriter> {
    const file = await Deno.open(path, { append: true, create: true });
    try {
      if (options.truncateTo !== undefined) await file.truncate(options.truncateTo);
    } catch (error) {
      file.close();
      throw error;
    }
    return new DenoFileWriter(file);
  },

  async stat(path: string): Promise<FileInfo> {
    return toFileInfo(await Deno.stat(path));
  },

  async readDir(path: string): Promise<DirEntry[]> {
    const entries: DirEntry[] = [];
    for await (const entry of Deno.readDir(path)) {
      let { isFile, isDirectory } = entry;
      if (entry.isSymlink) {
        // Follow the link, as stat does; a dangling link is neither.
        try {
          ({ isFile, isDirectory } = await Deno.stat(`${path}/${entry.name}`));
        } catch {
          // Dangling: keep both false.
        }
      }
      entries.push({ name: entry.name, isFile, isDirectory });
    }
    return entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  },

  async mkdir(path: string): Promise<void> {
    await Deno.mkdir(path, { recursive: true });
  },

  isNotFound(error: unknown): boolean {
    return error instanceof Deno.errors.NotFound;
  },

  stdin(): AsyncIterable<Uint8Array> {
    return Deno.stdin.readable;
  },

  async writeStdout(data: Uint8Array): Promise<void> {
    let written = 0;
    try {
      while (written < data.length) {
        written += await Deno.stdout.write(data.subarray(written));
      }
    } catch (error) {
      if (error instanceof Deno.errors.BrokenPipe) throw new StdoutClosedError({ cause: error });
      throw error;
    }
  },

  args(): string[] {
    return [...Deno.args];
  },

  env(name: string): string | undefined {
    try {
      return Deno.env.get(name);
    } catch (error) {
      // Without --allow-env the variable is simply not visible to us.
      if (
        error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied
      ) {
        return undefined;
      }
      throw error;
    }
  },

  exit(code: number): never {
    return Deno.exit(code);
  },

  cwd(): string {
    return Deno.cwd();
  },

  onInterrupt(handler: (signal: StopSignal) => void): () => void {
    const listening: [StopSignal, () => void][] = [];
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      const listener = () => handler(signal);
      try {
        Deno.addSignalListener(signal, listener);
      } catch {
        // Windows lets Deno listen to SIGINT (and SIGBREAK) only.
        continue;
      }
      listening.push([signal, listener]);
    }
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      for (const [signal, listener] of listening) Deno.removeSignalListener(signal, listener);
    };
  },

  isMain(url: string): boolean {
    return url === Deno.mainModule;
  },

  async openKv(path: string): Promise<KvDatabase> {
    if (typeof Deno.openKv !== "function") {
      throw new Error(
        `Cannot open the Deno KV file ${path}: Deno KV is unstable in Deno; ` +
          'run deno with --unstable-kv, or set "unstable": ["kv"] in deno.json',
      );
    }
    // Deno.Kv has this shape; its methods take more options than runnel uses.
    const kv = await retryKvBusy(() => Deno.openKv(path));
    return retryingWhenBusy(kv as unknown as KvDatabase);
  },

  pid(): number {
    return Deno.pid;
  },

  hostname(): string {
    try {
      return Deno.hostname();
    } catch {
      return "";
    }
  },

  isProcessAlive(pid: number): boolean | undefined {
    if (Deno.build.os !== "linux") return undefined;
    try {
      return isLiveProcStat(Deno.readTextFileSync(`/proc/${pid}/stat`));
    } catch (error) {
      return error instanceof Deno.errors.NotFound ? false : undefined;
    }
  },
};
