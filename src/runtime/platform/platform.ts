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

/** One part of a {@linkcode KvKey}: what Deno KV orders keys by. */
export type KvKeyPart = string | number | bigint | boolean | Uint8Array;

/** A Deno KV key: its parts, compared in order. */
export type KvKey = readonly KvKeyPart[];

/** One entry read from a {@linkcode KvDatabase}. */
export interface KvEntry {
  /** The entry's key. */
  readonly key: KvKey;
  /**
   * The entry's value: runnel writes only bytes, so anything else (`null`
   * for a missing entry aside) was not written by runnel.
   */
  readonly value: unknown;
  /** The version of the value, or `null` when the entry is missing. */
  readonly versionstamp: string | null;
}

/** Which entries {@linkcode KvDatabase.list} reads: those under `prefix`, optionally from `start`. */
export interface KvListSelector {
  /** Only keys that start with these parts. */
  readonly prefix: KvKey;
  /** The first key to read (inclusive), itself under `prefix`. */
  readonly start?: KvKey;
}

/**
 * Writes applied all at once or not at all; see {@linkcode KvDatabase.atomic}.
 * Deno KV's limits apply: a value of at most 64 KiB, a key of at most 2 KiB,
 * at most 1,000 mutations and 800 KiB per commit.
 */
export interface KvAtomic {
  /** Fails the commit unless `check.key`'s version is still `check.versionstamp` (`null`: absent). */
  check(check: { key: KvKey; versionstamp: string | null }): KvAtomic;
  /** Sets `key` to the bytes `value`. */
  set(key: KvKey, value: Uint8Array): KvAtomic;
  /** Deletes `key`; a missing key is fine. */
  delete(key: KvKey): KvAtomic;
  /**
   * Applies the writes durably.
   *
   * @returns `ok: false` when a check failed (nothing was written); else
   *   the version the written entries now have.
   */
  commit(): Promise<{ ok: boolean; versionstamp?: string }>;
}

/** A Deno KV database file, as runnel's recovery store uses it. */
export interface KvDatabase {
  /** Reads one entry (`value` `null` and `versionstamp` `null` when missing). */
  get(key: KvKey): Promise<KvEntry>;
  /** Reads the entries of `selector` in key order. */
  list(selector: KvListSelector): AsyncIterable<KvEntry>;
  /** Starts an atomic write. */
  atomic(): KvAtomic;
  /** Closes the database. */
  close(): void;
}

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
  /**
   * Opens (creating it if missing) the Deno KV database file at `path`:
   * `Deno.openKv` in Deno (which needs `--unstable-kv`, or `"unstable":
   * ["kv"]` in `deno.json`), the `@deno/kv` package in Node and Bun. One file
   * is readable from every runtime. Only bytes may be stored: another value
   * is refused on write; a value of another kind written by someone else
   * reads as something that is not a `Uint8Array`.
   *
   * @param path The database file.
   */
  openKv(path: string): Promise<KvDatabase>;
  /** This process's id. */
  pid(): number;
  /** This machine's host name, or `""` where it cannot be read. */
  hostname(): string;
  /**
   * Whether process `pid` of this machine is still running: `undefined`
   * where the runtime cannot tell.
   */
  isProcessAlive(pid: number): boolean | undefined;
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
