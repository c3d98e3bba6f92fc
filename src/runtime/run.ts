/**
 * Running a flow in this process: `run(flow)` and `for await` over a stream.
 *
 * @module
 */

import type { Dataflow } from "../dataflow/dataflow.ts";
import { portOf } from "../dataflow/_stream_core.ts";
import type { Stream } from "../dataflow/stream.ts";
import type { WorkerContext } from "./context.ts";
import { itemsOf } from "./execute.ts";
import { Epochs, EpochTicker } from "./progress/mod.ts";
import { realTime, type SystemTime } from "./system_time.ts";
import { planWorkers, type RunPlan, workerCountOf } from "./workers.ts";
import type { RunStats } from "./run_stats.ts";
import { InProcessRecovery, unsharedStoreError } from "./recovery/in_process.ts";
import { isSharedRecoveryStore, type RecoveryOptions } from "./recovery/store.ts";
import type { FlowModule } from "./threads/flow_module.ts";
import type { ClusterRunOptions } from "./threads/cluster_options.ts";
import type { RunOnThreads, ThreadedRecoveryOpener } from "./threads/options.ts";

// Loaded only by threaded runs, through a specifier bundlers leave alone: the
// browser build has no Workers to start, and no platform adapter to start them.
const COORDINATOR = "./threads/coordinator.ts";

/**
 * Options for {@linkcode run}.
 *
 * With `recovery`, the run snapshots its state at every epoch's barrier:
 * the keys each stateful step changed in the epoch (a discarded key as a
 * tombstone), each source partition's position and each sink partition's
 * (a `FileSink`'s byte offset). An epoch counts once every worker wrote it
 * and the store committed it. A run over the same store resumes from the
 * last committed epoch: each key on the worker that owns it now (so the
 * worker count may change between runs), timers set again from the
 * restored state, every source rewound and every `FileSink`/`DirSink`
 * truncated to its position, epochs numbered on from there. Every input
 * item is then counted exactly once in state, however often the run
 * crashed; output is at-least-once (what reached a sink after the last
 * commit is written again), except `FileSink` and `DirSink`, which are
 * exactly-once. An event clock's watermark comes back where it was, not
 * moved by the time the run was down, so the items read again fall into
 * the windows they fell into before. Inputs that cannot rewind (a plain
 * iterable, `StdInSource`, `WebSocketSource`, `SSESource`, any dynamic
 * source) are refused unless `recovery.allowNonReplayable` is set. `pipe`
 * steps keep their state in generator frames, which are not snapshotted:
 * they start afresh on resume. A run after a clean end of input goes on
 * from there: append to the input file and run again to get the rest.
 *
 * @example Resuming after a failure
 * ```ts
 * import { Dataflow, run } from "@runnel/runnel";
 * import { MemoryRecoveryStore, TestingSink, TestingSource, TestingTime } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const store = new MemoryRecoveryStore();
 * const time = new TestingTime(0);
 * const totals: [string, number][] = [];
 * const flow = new Dataflow("sum");
 * const items: [string, number][] = [["a", 1], ["a", 2], ["a", 0], ["a", 4]];
 * flow.input("inp", new TestingSource([...items.slice(0, 3), TestingSource.ABORT, items[3]!]))
 *   // A 0 moves time on by an epoch: epoch 1 ends after 1, 2 and 0.
 *   .inspect("tick", (_id, [, n]) => n === 0 && time.advance(1_000))
 *   .statefulMap("total", (sum: number | undefined, n: number) => [(sum ?? 0) + n, (sum ?? 0) + n])
 *   .output("out", new TestingSink(totals));
 * const options = { time, epochInterval: 1_000, recovery: { store } };
 * await assert.rejects(run(flow, options), /TestingSource aborted/);
 * assert.deepEqual(totals, [["a", 1], ["a", 3], ["a", 3]]);
 * // The next run starts from epoch 1's total and reads on after its items.
 * await run(flow, options);
 * assert.deepEqual(totals, [["a", 1], ["a", 3], ["a", 3], ["a", 7]]);
 * ```
 *
 * @example Hand-driven time and a stop signal
 * ```ts
 * import { Dataflow, run, type RunOptions } from "@runnel/runnel";
 * import { TestingSink, TestingSource, TestingTime } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const controller = new AbortController();
 * let stamped: [string, string] | undefined;
 * const options: RunOptions = {
 *   time: new TestingTime(Date.UTC(2024, 0, 1)),
 *   signal: controller.signal,
 *   epochInterval: 1_000,
 * };
 * const flow = new Dataflow("f");
 * // The pause keeps the input open: only the signal ends this run.
 * flow.input("inp", new TestingSource<[string, number]>([["a", 1], TestingSource.PAUSE(60_000)]))
 *   .stateful<string, null>("stamp", (_resume, ctx) => ({
 *     onItem: (value) => [[`${value} at ${new Date(ctx.now()).toISOString()}`], true],
 *     snapshot: () => null,
 *   }))
 *   .inspect("stop", (_id, item) => {
 *     stamped = item;
 *     controller.abort(new Error("seen enough"));
 *   })
 *   .output("out", new TestingSink());
 * await assert.rejects(run(flow, options), { message: "seen enough" });
 * assert.deepEqual(stamped, ["a", "1 at 2024-01-01T00:00:00.000Z"]);
 * ```
 */
export interface RunOptions {
  /**
   * The system time stateful timers and windows read. Defaults to the real
   * time; pass a `TestingTime` to drive it by hand.
   */
  time?: SystemTime;
  /**
   * The former name of `time`, kept for one release; giving both is refused.
   *
   * @deprecated Use `time`: "clock" now means only the windows' event-time
   * clocks (`EventClock`, `SystemClock`).
   */
  clock?: SystemTime;
  /**
   * Milliseconds of the run's clock between epoch ticks (snapshot points).
   * Defaults to 10,000. Each tick closes epoch `e` for the whole run: every
   * input emits barrier `e` at once, even when idle or in the middle of a
   * read, and a step with several inputs passes `e` on once all delivered
   * it. An input with nothing for a whole epoch is idle, and no longer holds
   * back the watermark after a merge or join.
   */
  epochInterval?: number;
  /**
   * Stops the run; `run()` then rejects with the signal's reason. What steps
   * hold open (windows not yet closed, end-of-input aggregates) is dropped.
   */
  signal?: AbortSignal;
  /**
   * Drains the run when it aborts: the sources stop and close, and the
   * inputs end as if their data had, so open windows close and end-of-input
   * aggregates (`countFinal`, `collect`, ...) emit before the sinks close;
   * `run()` then resolves. This is what `runnel run --flush-on-interrupt`
   * does on the first Ctrl-C. (With `recovery`, a run that is simply
   * stopped resumes its open state in the next run instead.)
   */
  drainSignal?: AbortSignal;
  /**
   * How many workers run the flow; 1 by default. Every worker runs the
   * whole graph on its share: fixed source partitions are dealt out to
   * workers, dynamic sources are built once per worker, a plain iterable is
   * read by worker 0 only, and items reach keyed steps through an exchange
   * by `stableHash(key) % workers`, so results match one worker's (sorted
   * key order, as `countFinal`'s, then holds per worker).
   *
   * Without `module`, the workers are logical workers on this thread
   * (deterministic, one core; a flow defined in a notebook cell works too);
   * items pass between them by reference. With `module`, each worker is a
   * Worker thread (more cores) that imports the module and builds the flow
   * itself; items cross between them encoded, and only the values the codec
   * carries can cross (see `exchange/codec.ts`).
   */
  workers?: number;
  /**
   * The module that builds this flow, so that `workers` above 1 run on
   * Worker threads: `import.meta.url` in the flow's own module, or
   * `{ url, export, args }` to name the export (a flow, or a function,
   * maybe async, returning one; called with `args`). Without a name, the
   * export whose value is the flow given to `run` is used. Every Worker
   * must build the same graph (checked before the run starts); the module
   * need not know how many workers run it, and must not run a flow itself
   * when imported (guard that with `if (import.meta.main)`). With threads,
   * `time` must be the real time, since a hand-driven time cannot be shared
   * with other threads. Ignored with one worker.
   */
  module?: string | URL | FlowModule;
  /**
   * Milliseconds every Worker thread (with `module`) gets to import the
   * module and build the flow; 60,000 by default. A Worker still building
   * then fails the run, naming it: a module that waits at its top level for
   * something that never comes cannot hold the run (or, in a cluster, every
   * process) for ever. Raise it for a module that loads something slow.
   */
  startupTimeout?: number;
  /** Counts items in and out per step and worker into this {@linkcode RunStats}. */
  stats?: RunStats;
  /**
   * Snapshots the run's state into a store at every epoch and resumes from
   * its last committed epoch. On Worker threads too: this thread holds the
   * store, and the Workers send it their rows. In a cluster (`cluster`),
   * every process is given the same store, which must be one its processes
   * can share (`KvRecoveryStore` on a directory they all reach, or on a
   * denokv URL; an in-memory store is refused with a `TypeError`): process 0
   * opens it and commits once every worker of the cluster wrote an epoch,
   * the others join it and write their own workers' rows. A restarted
   * cluster, with the same or another process count, resumes from the last
   * committed epoch.
   */
  recovery?: RecoveryOptions;
  /**
   * Runs this process as one of a cluster of processes (`runnel run -i/-a`):
   * `workers` Worker threads here, numbered globally (process `i` runs
   * workers `i * workers` to `(i + 1) * workers - 1`), exchanging with the
   * other processes' workers over TCP. Needs `module`; with `recovery`, a
   * store every process shares (see `recovery`).
   */
  cluster?: ClusterRunOptions;
}

const DEFAULT_EPOCH_INTERVAL_MS = 10_000;
// A longer timer fires at once.
const MAX_TIMER_MS = 2 ** 31 - 1;

// Kept on globalThis under a registered symbol, so that a command line from
// one copy of runnel sees runs started by a module importing another copy.
const RUNS_STARTED = Symbol.for("runnel.runsStarted");

/**
 * How many runs (`run()` calls and iterations over a stream) this thread has
 * started, counting every copy of runnel loaded in it. The CLI compares it
 * before and after importing a flow module, to tell a module that runs its
 * flow on import.
 *
 * @returns The count.
 */
export function runsStarted(): number {
  return (globalThis as { [RUNS_STARTED]?: number })[RUNS_STARTED] ?? 0;
}

// Set while the command line imports a flow module, under a registered symbol too.
const IMPORTING = Symbol.for("runnel.importingFlowModule");

/** The name of what a run started while the command line imports a flow module fails with. */
export const RUN_ON_IMPORT = "RunOnImportError";

/**
 * Marks the flow module the command line is importing (or, with
 * `undefined`, that the import is over): a run started meanwhile fails at
 * once with an error named {@linkcode RUN_ON_IMPORT}, instead of running a
 * flow the command line would then run again.
 *
 * @param module The module, as the command line names it.
 */
export function importingFlowModule(module: string | undefined): void {
  (globalThis as { [IMPORTING]?: string })[IMPORTING] = module;
}

function countRun(): void {
  const importing = (globalThis as { [IMPORTING]?: string })[IMPORTING];
  if (importing !== undefined) {
    const error = new Error(
      `Cannot run a flow while runnel imports "${importing}": runnel runs the flow the module ` +
        "exports; run it yourself only under if (import.meta.main)",
    );
    error.name = RUN_ON_IMPORT;
    throw error;
  }
  (globalThis as { [RUNS_STARTED]?: number })[RUNS_STARTED] = runsStarted() + 1;
}

function workerContext(
  options: RunOptions,
  signal: AbortSignal,
  startEpoch = 0,
): WorkerContext {
  const epochInterval = options.epochInterval ?? DEFAULT_EPOCH_INTERVAL_MS;
  if (!(epochInterval > 0)) {
    throw new RangeError(`Cannot run flow: epochInterval must be positive, got ${epochInterval}`);
  }
  const startup = options.startupTimeout;
  if (startup !== undefined && !(startup > 0 && startup <= MAX_TIMER_MS)) {
    throw new RangeError(
      `Cannot run flow: startupTimeout must be positive milliseconds up to ${MAX_TIMER_MS}, got ${startup}`,
    );
  }
  return {
    workerIndex: 0,
    workerCount: 1,
    clock: timeOf(options),
    signal,
    drainSignal: options.drainSignal,
    epochInterval,
    epochs: new Epochs(startEpoch),
    stats: options.stats,
  };
}

function timeOf(options: RunOptions): SystemTime {
  if (options.time !== undefined && options.clock !== undefined) {
    throw new TypeError(
      "Cannot run flow: options.time and options.clock (its deprecated name) are both given; pass only time",
    );
  }
  return options.time ?? options.clock ?? realTime;
}

// The coordinator's tick for a run on this thread; stopped when the run ends.
function startTicker(ctx: WorkerContext): EpochTicker {
  const ticker = new EpochTicker(ctx.clock, ctx.epochInterval, ctx.epochs);
  ticker.start();
  return ticker;
}

/**
 * Runs every drain; the first failure aborts the rest, and is what the run reports.
 *
 * @param drains One per output step.
 * @param controller The run's controller.
 */
export async function runDrains(
  drains: readonly (() => Promise<void>)[],
  controller: AbortController,
): Promise<void> {
  let failure: { error: unknown } | undefined;
  await Promise.all(drains.map((drain) =>
    drain().catch((error) => {
      if (failure === undefined) {
        failure = { error: controller.signal.aborted ? controller.signal.reason : error };
        controller.abort(error);
      }
    })
  ));
  if (failure !== undefined) throw failure.error;
}

function linkAbort(controller: AbortController, signal: AbortSignal | undefined): () => void {
  if (signal === undefined) return () => {};
  if (signal.aborted) controller.abort(signal.reason);
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}

/**
 * Runs a flow to completion in this process: every output is drained until
 * its inputs end. On one worker by default; with `workers`, on several
 * logical workers of this thread, or, given `module` too, on Worker threads
 * (see {@linkcode RunOptions.module}).
 *
 * The first error stops the whole run: a user callback that throws
 * surfaces as a `StepError` naming the step path and the item, and every
 * sink is closed (flushed) before `run` rejects.
 *
 * @param flow The flow to run.
 * @param options The system time, the epoch interval, an abort signal.
 * @returns A promise that resolves when every output has finished.
 * @throws {TypeError} When the flow has no output.
 *
 * @example Running a flow
 * ```ts
 * import { Dataflow, run } from "@runnel/runnel";
 * import { TestingSink } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const out: string[] = [];
 * const flow = new Dataflow("shout");
 * flow.input("inp", ["hi", "there"])
 *   .map("upper", (s) => s.toUpperCase())
 *   .output("out", new TestingSink(out));
 * await run(flow);
 * assert.deepEqual(out, ["HI", "THERE"]);
 * ```
 *
 * @example Several workers, keys spread over them
 * ```ts
 * import { Dataflow, run } from "@runnel/runnel";
 * import { TestingSink } from "@runnel/runnel/testing";
 * import assert from "node:assert/strict";
 *
 * const counts: [string, number][] = [];
 * const where = new Map<string, number>();
 * const flow = new Dataflow("wc");
 * flow.input("inp", ["a b", "b c", "c a b"])
 *   .flatMap("split", (line) => line.split(" "))
 *   .countFinal("count", (word) => word)
 *   .inspectDebug("where", (_id, [word], _epoch, worker) => where.set(word, worker))
 *   .output("out", new TestingSink(counts));
 * await run(flow, { workers: 2 });
 * // The same counts as one worker; sorted by key per worker, so sort to compare.
 * assert.deepEqual(counts.sort(), [["a", 2], ["b", 3], ["c", 2]]);
 * // Each word was counted on worker stableHash(word) % 2.
 * assert.deepEqual([...where].sort(), [["a", 0], ["b", 1], ["c", 0]]);
 * ```
 */
export async function run(flow: Dataflow, options: RunOptions = {}): Promise<void> {
  countRun();
  const workers = workerCountOf(options.workers);
  if (options.cluster !== undefined) {
    if (options.module === undefined) {
      throw new TypeError(
        `Cannot run flow "${flow.id}" in a cluster without options.module: each process's ` +
          "Worker threads build the flow from it",
      );
    }
    const store = options.recovery?.store;
    if (store !== undefined && !isSharedRecoveryStore(store)) {
      throw unsharedStoreError(flow, store);
    }
    return await runThreaded(flow, workers, options);
  }
  if (options.module !== undefined && workers > 1) return await runThreaded(flow, workers, options);
  const controller = new AbortController();
  const unlink = linkAbort(controller, options.signal);
  let ticker: EpochTicker | undefined;
  let plan: RunPlan | undefined;
  let recovery: InProcessRecovery | undefined;
  let completed = false;
  try {
    recovery = await openRecovery(flow, options, workers, controller);
    const ctx = workerContext(options, controller.signal, recovery?.resume.epoch);
    plan = planWorkers(flow, ctx, workers, [], recovery && recovery.worker.bind(recovery));
    ticker = startTicker(ctx);
    await runDrains(plan.drains, controller);
    completed = true;
  } finally {
    await plan?.settled();
    ticker?.stop();
    unlink();
    await recovery?.close(!completed);
  }
}

async function runThreaded(flow: Dataflow, workers: number, options: RunOptions): Promise<void> {
  const time = timeOf(options);
  if (time !== realTime) {
    throw new TypeError(
      "Cannot run flow on Worker threads with options.time: a hand-driven time cannot be " +
        "shared with other threads; leave out module to run logical workers on this thread",
    );
  }
  const ctx = workerContext(options, new AbortController().signal);
  const { runOnThreads }: { runOnThreads: RunOnThreads } = await import(COORDINATOR);
  // This thread holds the store: the Workers send it their rows and reports.
  // The coordinator opens it (in a cluster, once its peers connected).
  const controller = new AbortController();
  const unlink = linkAbort(controller, options.signal);
  let recovery: InProcessRecovery | undefined;
  let completed = false;
  const recoveryOptions = options.recovery;
  const onError = (error: unknown) => controller.abort(error);
  const opener: ThreadedRecoveryOpener | undefined = recoveryOptions && {
    open: async (count) =>
      recovery = await InProcessRecovery.open(flow, recoveryOptions, count, onError),
    openShared: async (count) => {
      const shared = await InProcessRecovery.openShared(flow, recoveryOptions, count, onError);
      recovery = shared.recovery;
      return shared;
    },
    join: async (opening, processIndex, forward) =>
      recovery = await InProcessRecovery.join(
        flow,
        recoveryOptions,
        opening,
        processIndex,
        forward,
        onError,
      ),
  };
  try {
    await runOnThreads(flow, {
      workers,
      module: options.module!,
      time,
      epochInterval: ctx.epochInterval,
      signal: controller.signal,
      drainSignal: options.drainSignal,
      stats: options.stats,
      recovery: opener,
      ...(options.startupTimeout === undefined ? {} : { startupTimeout: options.startupTimeout }),
      ...(options.cluster === undefined ? {} : { cluster: options.cluster }),
    });
    completed = true;
  } finally {
    unlink();
    await recovery?.close(!completed);
  }
}

// Opens the run's recovery store, when it has one; the first failing write or commit stops the run.
function openRecovery(
  flow: Dataflow,
  options: RunOptions,
  workerCount: number,
  controller: AbortController,
): Promise<InProcessRecovery | undefined> {
  if (options.recovery === undefined) return Promise.resolve(undefined);
  return InProcessRecovery.open(
    flow,
    options.recovery,
    workerCount,
    (error) => controller.abort(error),
  );
}

/**
 * Runs the flow of `stream` and yields the items that reach `stream`.
 *
 * @param stream The stream to watch.
 * @param options As for {@linkcode run}.
 * @returns The stream's items; returning early stops the run.
 *
 * @example Taking the first items of an endless flow
 * ```ts
 * import { Dataflow, iterate } from "@runnel/runnel";
 * import assert from "node:assert/strict";
 *
 * let closed = false;
 * function* naturals() {
 *   try {
 *     for (let n = 0;; n++) yield n;
 *   } finally {
 *     closed = true;
 *   }
 * }
 * const flow = new Dataflow("f");
 * const squares = flow.input("inp", naturals()).map("square", (n) => n * n);
 * const seen: number[] = [];
 * for await (const square of iterate(squares, { epochInterval: 1_000 })) {
 *   seen.push(square);
 *   if (seen.length === 3) break;
 * }
 * // Breaking out stopped the run and closed the source.
 * assert.deepEqual(seen, [0, 1, 4]);
 * assert.equal(closed, true);
 * ```
 */
export async function* iterate<T>(
  stream: Stream<T>,
  options: RunOptions = {},
): AsyncGenerator<T, void, undefined> {
  countRun();
  const controller = new AbortController();
  const unlink = linkAbort(controller, options.signal);
  let background: Promise<void> | undefined;
  let ticker: EpochTicker | undefined;
  let plan: RunPlan | undefined;
  let recovery: InProcessRecovery | undefined;
  let completed = false;
  try {
    const workers = workerCountOf(options.workers);
    if (options.module !== undefined && workers > 1) {
      throw new TypeError(
        "Cannot iterate a stream on Worker threads: its items are read on this thread; " +
          "leave out module to run logical workers here, or write them to a sink",
      );
    }
    recovery = await openRecovery(stream.flow, options, workers, controller);
    const ctx = workerContext(options, controller.signal, recovery?.resume.epoch);
    const recoveryFor = recovery && recovery.worker.bind(recovery);
    plan = planWorkers(stream.flow, ctx, workers, [portOf(stream)], recoveryFor);
    ticker = startTicker(ctx);
    background = runDrains(plan.drains, controller);
    // Awaited once the tap is done; until then a failed drain must not count
    // as unhandled when the input gives the event loop a turn.
    background.catch(() => {});
    try {
      yield* itemsOf<T>(plan.taps[0]! as AsyncIterable<readonly T[]>);
    } catch (error) {
      controller.abort(error);
      // A failing output aborts the run; report its error, not the abort it caused.
      await background;
      throw error;
    }
    await background;
    completed = true;
  } finally {
    if (!completed) {
      if (!controller.signal.aborted) controller.abort(new Error("Iteration stopped early"));
      await background?.catch(() => {});
    }
    await plan?.settled();
    ticker?.stop();
    unlink();
    await recovery?.close(!completed);
  }
}
