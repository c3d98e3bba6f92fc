/**
 * Threads: starting a module Worker and talking to it, and, inside one,
 * talking to the thread that started it. Deno and Bun have Web Workers
 * (`new Worker(url, { type: "module" })`); Node has `node:worker_threads`,
 * whose Workers inherit the process's `execArgv`, so a TypeScript loader
 * given with `--import` serves them too. Messages are structured-cloned;
 * `transfer` moves `ArrayBuffer`s and `MessagePort`s instead of copying.
 *
 * @module
 */

import { platform } from "./platform.ts";

/** The main thread's handle on a Worker it started. */
export interface WorkerThread {
  /** Sends a message to the Worker. */
  postMessage(message: unknown, transfer?: Transferable[]): void;
  /**
   * Stops the Worker at once, wherever it is; its pending work is dropped.
   * Resolves once it stopped (at once where the runtime does not say).
   */
  terminate(): Promise<void>;
  /**
   * Settles once the Worker's thread ended by itself, where the runtime
   * tells (Node); `undefined` elsewhere. On Node a Worker's standard output
   * goes through the main thread, and what it printed last is lost when it
   * is terminated rather than left to end.
   */
  readonly exited?: Promise<void>;
}

/** What a {@linkcode WorkerThread} reports. */
export interface WorkerEvents {
  /** A message the Worker posted. */
  message(data: unknown): void;
  /** The Worker failed outside runnel's reach: its module did not load, or an error escaped. */
  error(error: unknown): void;
  /** The Worker's thread ended before it was terminated (Node), with this exit code. */
  exit?(code: number): void;
}

/** A Worker's handle on the thread that started it. */
export interface ParentThread {
  /** Sends a message to the parent. */
  postMessage(message: unknown, transfer?: Transferable[]): void;
  /** Calls `handler` with each message the parent posts. */
  onMessage(handler: (data: unknown) => void): void;
  /** Stops listening to the parent, so that the thread can end once its work is done. */
  close(): void;
}

interface NodeWorker {
  postMessage(message: unknown, transfer?: readonly Transferable[]): void;
  on(event: string, listener: (value: never) => void): void;
  terminate(): Promise<number>;
}

interface NodeWorkerThreads {
  Worker: new (url: URL, options?: { name?: string }) => NodeWorker;
  isMainThread: boolean;
  parentPort: {
    postMessage(message: unknown, transfer?: readonly Transferable[]): void;
    on(event: "message", listener: (value: unknown) => void): void;
    close(): void;
  } | null;
}

// Only Node needs `node:worker_threads`; Deno and Bun never load it.
const nodeThreads: NodeWorkerThreads | undefined = platform.name === "node"
  ? await import("node:worker_threads") as unknown as NodeWorkerThreads
  : undefined;

interface WebWorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  close(): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
}

// The loader beside runnel's entry points that registers in Worker threads too.
const NODE_LOADER = new URL("../../../node_loader.mjs", import.meta.url);

/**
 * A Node Worker that cannot load a `.ts` file was started under a
 * TypeScript loader that does not reach Worker threads (tsx registers on the
 * main thread only): says so, and what to run instead.
 */
function nodeLoaderError(error: Error): Error {
  if ((error as { code?: string }).code !== "ERR_UNKNOWN_FILE_EXTENSION") return error;
  const loader = decodeURIComponent(NODE_LOADER.pathname);
  return new Error(
    `Node cannot load runnel's TypeScript in a Worker thread (${error.message}): the ` +
      "TypeScript loader node was started with does not reach Worker threads (tsx registers " +
      `on the main thread only); start node with --import ${loader}, which does`,
    { cause: error },
  );
}

/**
 * Starts the module at `url` in a new Worker.
 *
 * @param url The Worker's entry module.
 * @param events Called with what the Worker reports.
 * @param name A name debuggers show.
 * @returns The handle.
 */
export function startWorker(url: URL, events: WorkerEvents, name?: string): WorkerThread {
  if (nodeThreads !== undefined) {
    const worker = new nodeThreads.Worker(url, { name });
    let terminating = false;
    let exited!: () => void;
    const exit = new Promise<void>((resolve) => exited = resolve);
    worker.on("message", (data) => events.message(data));
    worker.on("error", (error) => events.error(nodeLoaderError(error)));
    worker.on("exit", (code) => {
      exited();
      // A Worker's own process.exit() ends only its thread, and silently.
      if (!terminating) events.exit?.(code);
    });
    return {
      postMessage: (message, transfer) => worker.postMessage(message, transfer),
      terminate: async () => {
        terminating = true;
        await worker.terminate();
      },
      exited: exit,
    };
  }
  const worker = new Worker(url, { type: "module", name });
  worker.addEventListener("message", (event) => events.message(event.data));
  worker.addEventListener("error", (event) => {
    // Handled here: otherwise the error would also end the main thread.
    event.preventDefault();
    events.error(event.error ?? new Error(event.message));
  });
  worker.addEventListener("messageerror", () => {
    events.error(new Error("a message from the Worker could not be read"));
  });
  return {
    postMessage: (message, transfer) => worker.postMessage(message, transfer ?? []),
    terminate: () => {
      worker.terminate();
      return Promise.resolve();
    },
  };
}

/**
 * The thread that started this one, when this is a Worker.
 *
 * @returns The parent, or `undefined` on the main thread.
 */
export function parentThread(): ParentThread | undefined {
  if (nodeThreads !== undefined) {
    const port = nodeThreads.parentPort;
    if (nodeThreads.isMainThread || port === null) return undefined;
    return {
      postMessage: (message, transfer) => port.postMessage(message, transfer),
      onMessage: (handler) => port.on("message", handler),
      close: () => port.close(),
    };
  }
  const scope = globalThis as unknown as {
    Bun?: { isMainThread?: boolean };
    WorkerGlobalScope?: abstract new () => unknown;
  };
  const isWorker = platform.name === "bun"
    ? scope.Bun?.isMainThread === false
    : typeof scope.WorkerGlobalScope === "function" &&
      globalThis instanceof scope.WorkerGlobalScope;
  if (!isWorker) return undefined;
  const self = globalThis as unknown as WebWorkerScope;
  return {
    postMessage: (message, transfer) => self.postMessage(message, transfer ?? []),
    onMessage: (handler) => self.addEventListener("message", (event) => handler(event.data)),
    close: () => self.close(),
  };
}
