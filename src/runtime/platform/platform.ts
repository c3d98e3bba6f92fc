/**
 * The platform adapter: the one interface through which runnel reaches the
 * file system, standard streams, arguments and environment.
 *
 * Everything else in runnel is runtime-free. The files in this folder are the
 * only ones that touch `Deno.*`, `Bun.*` or `node:*`: `deno.ts` serves Deno,
 * `node.ts` serves Node 20 and Bun (Bun implements `node:fs` and
 * `node:process`). {@linkcode platform} is chosen once, when this module loads;
 * only the chosen adapter is imported, since loading Deno's `node:*`
 * compatibility layer would add about 80 ms to every start.
 *
 * @module
 */

/** What {@linkcode Platform.stat} reports about a path (symlinks followed). */
export interface FileInfo {
  /** Whether the path is a regular file. */
  readonly isFile: boolean;
  /** Whether the path is a directory. */
  readonly isDirectory: boolean;
  /** Size in bytes. */
  readonly size: number;
  /** Last modification time, or `null` where the file system does not keep it. */
  readonly mtime: Date | null;
  /**
   * The id of the device (file system) holding the path, so that processes
   * can tell a shared file from a same-named local copy, as Bytewax's
   * `get_fs_id` does. `0` where the runtime cannot tell.
   */
  readonly dev: number;
}

/** One entry of {@linkcode Platform.readDir}. */
export interface DirEntry {
  /** The entry's name, without the directory. */
  readonly name: string;
  /** Whether it is a regular file (a symlink to a file counts). */
  readonly isFile: boolean;
  /** Whether it is a directory (a symlink to a directory counts). */
  readonly isDirectory: boolean;
}

/** A file opened for reading; see {@linkcode Platform.openRead}. */
export interface FileReader {
  /**
   * Reads the next bytes into `buffer`.
   *
   * @returns How many bytes were read (at least 1), or `null` at end of file.
   */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Closes the file. Closing twice is harmless. */
  close(): Promise<void>;
}

/** A file opened for appending; see {@linkcode Platform.openWrite}. */
export interface FileWriter {
  /** Appends all of `data` at the end of the file. */
  write(data: Uint8Array): Promise<void>;
  /** Flushes written data to the storage device (fdatasync). */
  sync(): Promise<void>;
  /** Closes the file. Closing twice is harmless. */
  close(): Promise<void>;
}

/** Options for {@linkcode Platform.openRead}. */
export interface OpenReadOptions {
  /** The byte offset to start reading at. Defaults to `0`. */
  offset?: number;
}

/** Options for {@linkcode Platform.openWrite}. */
export interface OpenWriteOptions {
  /**
   * Cut the file to this many bytes before writing; `0` empties it. Leave it
   * out to keep the content and append after it.
   */
  truncateTo?: number;
}

/** The signals on which runnel stops a run rather than dying: see {@linkcode Platform.onInterrupt}. */
export type StopSignal = "SIGINT" | "SIGTERM" | "SIGHUP";

/** The services runnel needs from its host runtime. */
export interface Platform {
  /** Which runtime this is. */
  readonly name: "deno" | "node" | "bun";
  /**
   * Opens a file for reading, positioned at `options.offset`.
   *
   * @throws When the file cannot be opened; test with {@linkcode Platform.isNotFound}.
   */
  openRead(path: string, options?: OpenReadOptions): Promise<FileReader>;
  /**
   * Opens a file for appending, creating it if missing (its directory must exist).
   *
   * @throws When the file cannot be opened; test with {@linkcode Platform.isNotFound}.
   */
  openWrite(path: string, options?: OpenWriteOptions): Promise<FileWriter>;
  /** Describes a path, following symlinks. */
  stat(path: string): Promise<FileInfo>;
  /**
   * Lists a directory's entries, sorted by name (UTF-16 code unit order).
   * Callers filter names themselves (`DirSource` by its glob).
   */
  readDir(path: string): Promise<DirEntry[]>;
  /** Creates a directory and its missing parents; an existing directory is fine. */
  mkdir(path: string): Promise<void>;
  /** Whether `error`, thrown by this platform, means "no such file or directory". */
  isNotFound(error: unknown): boolean;
  /** Standard input as byte chunks. Call it once per process: the stream is locked. */
  stdin(): AsyncIterable<Uint8Array>;
  /**
   * Writes all of `data` to standard output; resolves once the stream accepted it.
   *
   * @throws {StdoutClosedError} When the reader closed standard output (see `stdout_closed.ts`).
   */
  writeStdout(data: Uint8Array): Promise<void>;
  /** The script's arguments, without the runtime and script path. */
  args(): string[];
  /** An environment variable, or `undefined` if unset or not permitted. */
  env(name: string): string | undefined;
  /** Ends the process with `code`. */
  exit(code: number): never;
  /** The current working directory. */
  cwd(): string;
  /**
   * Calls `handler` with the signal's name on Ctrl-C (SIGINT), on SIGTERM
   * (how `kill`, container runtimes and Kubernetes stop a process) and on
   * SIGHUP (the terminal closed), where the system has them, instead of
   * letting the process end, until the returned function is called. Once no
   * handler is listening, these signals end the process again.
   *
   * @returns A function that removes the handler; calling it again is harmless.
   */
  onInterrupt(handler: (signal: StopSignal) => void): () => void;
  /**
   * Whether the module at `url` is the one the process was started with:
   * `import.meta.main`, for the runtimes that lack it (Node before 24.2).
   *
   * @param url The module's `import.meta.url`.
   */
  isMain(url: string): boolean;
}

/**
 * The platform runnel is running on: Deno's adapter on Deno, otherwise the
 * `node:*` adapter, which serves Node and Bun. Deno is recognised by the
 * version it reports, not by a global `Deno` alone: a stand-in that provides
 * part of that API elsewhere (a test shim, a polyfill) does not make Node or
 * Bun into Deno.
 *
 * @example Reading the arguments
 * ```ts
 * import { platform } from "./platform.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(Array.isArray(platform.args()));
 * assert.equal(platform.name, "deno");
 * ```
 */
export const platform: Platform =
  typeof (globalThis as { Deno?: { version?: { deno?: unknown } } }).Deno?.version?.deno ===
      "string"
    ? (await import("./deno.ts")).denoPlatform
    : (await import("./node.ts")).nodePlatform;
