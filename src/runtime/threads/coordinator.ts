/**
 * The coordinator of a threaded run: the main thread of `runnel run -w N`
 * and of `run(flow, { workers: N, module })`. It starts one Worker per
 * worker (each runs `worker_entry.ts`), joins every pair with a
 * `MessageChannel`, checks that every Worker built the same graph as this
 * thread, ticks the run's epochs and sends them, and gathers the outcome:
 * when one Worker fails, or the caller aborts, every Worker is told to stop
 * (their sinks close), and after a grace period every Worker is ended,
 * finished or not. The error reaches the caller as the Worker threw it.
 * With recovery, this thread holds the store: it sends each Worker the
 * resume point, writes the rows Workers send, and passes their reports to
 * the recovery coordinator, which commits.
 *
 * In a cluster run (`options.cluster`), the coordinator first connects to
 * the other processes; its Workers are numbered globally, and their links
 * to workers on other processes go through the `ClusterRelay` on this
 * thread (see `cluster_relay.ts`: epochs from process 0, heartbeats, a
 * failure anywhere stopping every process). With recovery, process 0 opens
 * the shared store once every peer connected and tells them; each other
 * process joins it then, writes its own Workers' rows, and forwards their
 * reports to process 0, which alone commits.
 *
 * @module
 */

import type { Dataflow } from "../../dataflow/dataflow.ts";
import { decodeError, encodeError } from "../exchange/error_codec.ts";
import { fingerprintDifference, flowFingerprint } from "../fingerprint.ts";
import { startWorker, type WorkerThread } from "../platform/threads.ts";
import { Epochs, EpochTicker } from "../progress/mod.ts";
import type { RunStats } from "../run_stats.ts";
import { deferred } from "../_async.ts";
import { delay } from "../../../operators/_abort.ts";
import { resolveFlowModule } from "./flow_module.ts";
import type { RunOnThreads, ThreadedRecovery, ThreadedRunOptions } from "./options.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";
import { ClusterRelay } from "./cluster_relay.ts";
import { markFailedWorker } from "./failed_worker.ts";
import { resumeShare } from "../recovery/worker.ts";

/** How long stopping Workers get to close their sinks before they are ended. */
export const STOP_GRACE_MS = 5_000;

/** How long every Worker gets to import the flow module and build the flow, by default. */
export const STARTUP_TIMEOUT_MS = 60_000;

const ENTRY = new URL("./worker_entry.ts", import.meta.url);

/** Epochs that tell every Worker when one closes. */
class BroadcastEpochs extends Epochs {
  readonly #send: (epoch: number) => void;
  // Kept apart from `closed`, whose getter lets the ticker close a due epoch:
  // read from inside `close`, it would close the next one, and so on.
  #sent: number;
  constructor(send: (epoch: number) => void, start: number) {
    super(start);
    this.#send = send;
    this.#sent = start;
  }
  override close(epoch: number): void {
    super.close(epoch);
    if (epoch > this.#sent) {
      this.#sent = epoch;
      this.#send(epoch);
    }
  }
}

/**
 * Runs `flow` on `options.workers` Workers, each building it from
 * `options.module`.
 *
 * @param flow The flow, as this thread built it: the graph every Worker must match.
 * @param options The run's settings.
 * @returns Resolves once every Worker finished; rejects with the first failure.
 */
export const runOnThreads: RunOnThreads = async function runOnThreads(
  flow: Dataflow,
  options: ThreadedRunOptions,
): Promise<void> {
  const module = resolveFlowModule(options.module);
  const expected = flowFingerprint(flow);
  const count = options.workers;
  const clusterOptions = options.cluster;
  const grace = options.gracePeriod ?? STOP_GRACE_MS;
  let recovery: ThreadedRecovery | undefined;
  let reports: ReturnType<ThreadedRecovery["reports"]>[] = [];

  let failure: { error: unknown } | undefined;
  const finished = new Array<boolean>(count).fill(false);
  const readied = new Array<boolean>(count).fill(false);
  const allReady = deferred();
  const allFinished = deferred();
  let stopping = false;
  const stopped = deferred();
  const workers: WorkerThread[] = [];
  const broadcast = (message: ToWorker) => {
    for (let w = 0; w < workers.length; w++) if (!finished[w]) workers[w]!.postMessage(message);
  };

  let relay: ClusterRelay | undefined;
  // An answer to a Worker that has ended meanwhile has no one to read it.
  const reply = (worker: number, message: ToWorker) => {
    try {
      workers[worker]!.postMessage(message);
    } catch {
      // ended
    }
  };
  const stop = (error: unknown) => {
    if (stopping) return;
    stopping = true;
    stopped.resolve();
    broadcast({ type: "stop", error: encodeError(error) });
    allReady.resolve();
  };
  const fail = (worker: number | undefined, error: unknown, fromPeer = false) => {
    if (failure === undefined) {
      failure = { error };
      // The other processes stop too, told why.
      if (!fromPeer) relay?.tell({ type: "stop", error: encodeError(error) });
      if (worker !== undefined) markFailedWorker(error, base + worker);
    }
    stop(error);
  };
  const finish = (worker: number) => {
    if (finished[worker]) return;
    finished[worker] = true;
    if (finished.every(Boolean)) {
      allReady.resolve();
      allFinished.resolve();
    }
  };

  // Sends worker `w` its share once it listens; set once the ports exist.
  let init: (w: number) => void = () => {};
  const onMessage = (worker: number, message: FromWorker) => {
    switch (message.type) {
      case "listening":
        init(worker);
        break;
      case "ready": {
        const difference = fingerprintDifference(expected, message.fingerprint);
        if (difference !== undefined) {
          fail(
            undefined,
            new Error(
              `Cannot run flow "${flow.id}" on ${count} workers: worker ${worker} built a ` +
                `different graph from ${module.url}: ${difference}; a flow module must build ` +
                "the same flow on every worker",
            ),
          );
          return;
        }
        readied[worker] = true;
        if (readied.every(Boolean)) allReady.resolve();
        break;
      }
      case "parts":
        void relay?.assignParts(message.path, message.parts).then((assigned) => {
          if (!finished[worker]) {
            workers[worker]!.postMessage(
              {
                type: "parts",
                path: message.path,
                parts: assigned[base + worker]!,
              } satisfies ToWorker,
            );
          }
        }, (error) => fail(worker, error));
        break;
      case "write":
        // A failed write stops the run here; the answer stops the Worker's writer too.
        recovery!.write(message.epoch, message.rows).then(
          () => reply(worker, { type: "wrote", id: message.id }),
          (error) => reply(worker, { type: "wrote", id: message.id, error: encodeError(error) }),
        );
        break;
      case "written":
        reports[worker]!.written(message.epoch);
        break;
      case "finished":
        reports[worker]!.finished();
        break;
      case "done":
        mergeStats(options.stats, base + worker, message.stats);
        // Finished once what it sent to other processes reached the relay.
        if (relay === undefined) finish(worker);
        else void relay.flushed(base + worker).then(() => finish(worker));
        break;
      case "failed":
        mergeStats(options.stats, base + worker, message.stats);
        fail(worker, decodeError(message.error));
        finish(worker);
        break;
    }
  };

  const onAbort = () => fail(undefined, options.signal!.reason);
  // Once, whether this process was asked (its drain signal) or another one
  // was: every process's inputs must end for any keyed step to finish.
  let drained = false;
  const drain = (fromPeer: boolean) => {
    if (drained) return;
    drained = true;
    broadcast({ type: "drain" });
    if (!fromPeer) relay?.tell({ type: "drain" });
  };
  const onDrain = () => drain(false);
  let ticker: EpochTicker | undefined;
  const graceTimer = new AbortController();
  let startup: ReturnType<typeof setTimeout> | undefined;
  let base = 0;
  let total = count;
  try {
    if (clusterOptions !== undefined) {
      relay = await ClusterRelay.open(
        clusterOptions,
        { id: flow.id, fingerprint: expected },
        count,
        {
          epoch: (epoch) => {
            if (!stopping) broadcast({ type: "epoch", epoch });
          },
          stop: (error) => fail(undefined, error, true),
          drain: () => drain(true),
          report: (report) => recovery?.forwarded(report),
        },
      );
      base = relay.firstWorker;
      total = relay.workerCount;
    }
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.recovery !== undefined) {
      recovery = await openRecovery(options, relay, total, stopped.promise).catch((error) => {
        fail(undefined, error);
        return undefined;
      });
    }
    // Stopped before any Worker started (recovery failed to open here or on process 0, or aborted).
    if (stopping) throw failure!.error;
    if (recovery !== undefined) {
      const held = recovery;
      reports = Array.from({ length: count }, (_, w) => held.reports(base + w));
    }
    for (let w = 0; w < count; w++) {
      workers.push(startWorker(ENTRY, {
        message: (data) => onMessage(w, data as FromWorker),
        error: (error) => {
          if (finished[w]) return;
          fail(w, error);
          finish(w);
        },
        exit: (code) => {
          if (finished[w]) return;
          fail(w, new Error(`Worker ${w} exited with code ${code} before it finished`));
          finish(w);
        },
      }, `runnel worker ${w}`));
    }
    // One MessageChannel per pair of this process's workers (global
    // indices); workers on other processes are reached through the relay.
    const ports: (MessagePort | null)[][] = Array.from(
      { length: count },
      (_, w) =>
        Array.from(
          { length: total },
          (_, v) => v >= base && v < base + count ? null : relay!.port(base + w, v),
        ),
    );
    for (let a = 0; a < count; a++) {
      for (let b = a + 1; b < count; b++) {
        const channel = new MessageChannel();
        ports[a]![base + b] = channel.port1;
        ports[b]![base + a] = channel.port2;
      }
    }
    const keyed = keyedSteps(flow);
    init = (w) => {
      const own = ports[w]!;
      workers[w]!.postMessage(
        {
          type: "init",
          workerIndex: base + w,
          workerCount: total,
          module,
          fingerprint: expected,
          epochInterval: options.epochInterval,
          ports: own,
          relayed: relay === undefined
            ? []
            : own.flatMap((_, v) => (v < base || v >= base + count ? [v] : [])),
          // In a cluster another process may ask this one to drain.
          drainable: options.drainSignal !== undefined || relay !== undefined,
          stats: options.stats !== undefined,
          recovery: recovery && resumeShare(recovery.resume, keyed, base + w, total),
        } satisfies ToWorker,
        own.filter((port): port is MessagePort => port !== null),
      );
    };
    if (options.drainSignal?.aborted) onDrain();
    else options.drainSignal?.addEventListener("abort", onDrain, { once: true });
    // A peer's drain that came before these Workers existed.
    if (drained) broadcast({ type: "drain" });

    // A module that waits for ever at its top level (or a Worker that never
    // starts) would otherwise hold the run, and in a cluster every process.
    const timeout = options.startupTimeout ?? STARTUP_TIMEOUT_MS;
    startup = setTimeout(() => {
      const late = readied.flatMap((ready, w) => ready ? [] : [base + w]);
      fail(
        undefined,
        new Error(
          `Cannot run flow "${flow.id}" on ${count} workers: ${
            late.length === 1 ? "worker" : "workers"
          } ${late.join(", ")} did not build the flow from ${module.url} within ${
            timeout / 1000
          } s; a flow module must build its flow without waiting for ever (the startup ` +
            "timeout is options.startupTimeout, or runnel run --startup-timeout)",
        ),
      );
    }, timeout);
    await allReady.promise;
    clearTimeout(startup);
    if (!stopping) {
      broadcast({ type: "start" });
      // Process 0 of a cluster decides the epochs of every process.
      if (base === 0) {
        ticker = new EpochTicker(
          options.time,
          options.epochInterval,
          new BroadcastEpochs((epoch) => {
            broadcast({ type: "epoch", epoch });
            relay?.tell({ type: "epoch", epoch });
          }, recovery?.resume.epoch ?? 0),
        );
        ticker.start();
      }
    }
    // Once stopping began, the Workers get a grace period to close their sinks.
    await Promise.race([
      allFinished.promise.then(() => relay?.finished()),
      stopped.promise.then(() =>
        Promise.race([
          allFinished.promise,
          delay(grace, { signal: graceTimer.signal }).catch(() => {}),
        ])
      ),
    ]);
  } finally {
    clearTimeout(startup);
    ticker?.stop();
    graceTimer.abort();
    options.signal?.removeEventListener("abort", onAbort);
    options.drainSignal?.removeEventListener("abort", onDrain);
    await endWorkers(workers, finished);
    await relay?.close();
  }
  if (failure !== undefined) throw failure.error;
};

/** The paths of the steps whose state is per key, restored by the worker owning the key. */
function keyedSteps(flow: Dataflow): Set<string> {
  const paths = new Set<string>();
  for (const node of flow.nodes) {
    if (node.kind === "keyedFold" || node.kind === "statefulBatch") paths.add(node.path);
  }
  return paths;
}

/**
 * Opens the run's recovery: alone, or in a cluster once every peer
 * connected (process 0 opens the shared store and tells the others what to
 * join; they wait for that, or for the run to stop first).
 *
 * @returns The recovery, or `undefined` when the run stopped before process 0 opened it.
 */
async function openRecovery(
  options: ThreadedRunOptions,
  relay: ClusterRelay | undefined,
  total: number,
  stopped: Promise<void>,
): Promise<ThreadedRecovery | undefined> {
  const opener = options.recovery!;
  if (relay === undefined) return await opener.open(total);
  if (relay.firstWorker === 0) {
    const { recovery, opening } = await opener.openShared(total);
    relay.tell({ type: "opened", opening });
    return recovery;
  }
  const opening = await Promise.race([relay.opening(), stopped.then(() => undefined)]);
  if (opening === undefined) return undefined;
  return await opener.join(opening, relay.cluster.processIndex, (report) => relay.report(report));
}

/** How long finished Workers get to end by themselves (and flush their output) before they are terminated. */
const EXIT_GRACE_MS = 2_000;

// Lets finished Workers end by themselves where the runtime tells when they
// did (Node, whose Workers print through this thread), then terminates every Worker.
async function endWorkers(
  workers: readonly WorkerThread[],
  finished: readonly boolean[],
): Promise<void> {
  const exits = workers.flatMap((worker, w) =>
    finished[w] && worker.exited !== undefined ? [worker.exited] : []
  );
  if (exits.length > 0) {
    for (let w = 0; w < workers.length; w++) {
      if (finished[w]) workers[w]!.postMessage({ type: "close" } satisfies ToWorker);
    }
    const timer = new AbortController();
    await Promise.race([
      Promise.all(exits),
      delay(EXIT_GRACE_MS, { signal: timer.signal }).catch(() => {}),
    ]);
    timer.abort();
  }
  await Promise.all(workers.map((worker) => worker.terminate().catch(() => {})));
}

function mergeStats(
  stats: RunStats | undefined,
  worker: number,
  counts: Record<string, { in: number[]; out: number[] }> | undefined,
): void {
  if (stats === undefined || counts === undefined) return;
  for (const [path, { in: read, out: written }] of Object.entries(counts)) {
    stats.add(path, "in", worker, read[worker] ?? 0);
    stats.add(path, "out", worker, written[worker] ?? 0);
  }
}
