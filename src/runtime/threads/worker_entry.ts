/**
 * The entry module of every Worker of a threaded run. It waits for the
 * coordinator's `init`, builds the flow from its module, reports the
 * graph's fingerprint, and on `start` runs its share of the flow: its
 * source partitions, and the keys that hash to it, with exchanges over
 * `MessagePort`s to the other Workers. Epochs come from the coordinator;
 * the run ends with `done` or `failed`, and the coordinator then ends the
 * Worker. With recovery, `init` carries the resume point: the Worker
 * restores what it owns now and numbers epochs on from it, sends the rows
 * it snapshots to the coordinator (which holds the store) to write, and
 * reports the epochs it has written.
 *
 * @module
 */

import type { Dataflow } from "../../dataflow/dataflow.ts";
import type { WorkerContext } from "../context.ts";
import { decodeError, encodeError } from "../exchange/error_codec.ts";
import { type Link, LinkExchanges, portLink } from "../exchange/port_channel.ts";
import { planWorker } from "../execute.ts";
import { flowFingerprint } from "../fingerprint.ts";
import { parentThread } from "../platform/threads.ts";
import { Epochs } from "../progress/mod.ts";
import { type Deferred, deferred } from "../_async.ts";
import { loadSnapshotCodec, type SnapshotCodec, WorkerRecovery } from "../recovery/worker.ts";
import { runDrains } from "../run.ts";
import { RunStats } from "../run_stats.ts";
import type { ResumePoint, SnapshotRow } from "../recovery/store.ts";
import { realTime } from "../system_time.ts";
import { importFlow } from "./flow_module.ts";
import { FLUSHED, type FromWorker, type ToWorker } from "./protocol.ts";

const parent = parentThread();
if (parent === undefined) {
  throw new Error("runnel's Worker entry module must run in a Worker started by a threaded run");
}

const send = (message: FromWorker) => parent.postMessage(message);
const controller = new AbortController();
const drain = new AbortController();
let epochs = new Epochs();
let codec: SnapshotCodec | undefined;
let recovery: WorkerRecovery | undefined;
// Writes sent to the coordinator, by id, until it answers.
const writes = new Map<number, { resolve: () => void; reject: (error: unknown) => void }>();
let nextWrite = 0;
let init: Extract<ToWorker, { type: "init" }> | undefined;
let flow: Dataflow | undefined;
let stats: RunStats | undefined;
let started = false;
let links: (Link | undefined)[] = [];

async function build(message: Extract<ToWorker, { type: "init" }>): Promise<void> {
  init = message;
  stats = message.stats ? new RunStats() : undefined;
  try {
    flow = await importFlow(message.module, message.fingerprint);
    if (message.recovery !== undefined) {
      epochs = new Epochs(message.recovery.epoch);
      codec = await loadSnapshotCodec();
    }
    send({ type: "ready", fingerprint: flowFingerprint(flow) });
  } catch (error) {
    send({ type: "failed", error: encodeError(error) });
  }
}

const partsAsked = new Map<string, Deferred<string[]>>();

function askParts(path: string, parts: readonly string[]): Promise<string[]> {
  const answer = deferred<string[]>();
  partsAsked.set(path, answer);
  send({ type: "parts", path, parts: [...parts] });
  return answer.promise;
}

async function start(): Promise<void> {
  started = true;
  const { workerIndex, workerCount, epochInterval, ports, drainable } = init!;
  const resume = init!.recovery;
  recovery = resume && workerRecovery(resume, workerIndex, workerCount);
  const ctx: WorkerContext = {
    workerIndex,
    workerCount,
    clock: realTime,
    signal: controller.signal,
    drainSignal: drainable ? drain.signal : undefined,
    epochInterval,
    epochs,
    stats,
    // In a cluster, processes may reach different partitions: the coordinators decide.
    ...(init!.relayed.length === 0 ? {} : { assignParts: askParts }),
    recovery,
  };
  links = ports.map((port) => port === null ? undefined : portLink(port));
  const exchanges = new LinkExchanges(workerIndex, links, controller.signal);
  try {
    const plan = planWorker(flow!, ctx, [], exchanges);
    try {
      await runDrains(plan.drains, controller);
    } finally {
      await exchanges.settled();
      // Its reports (sent once a write is answered) go out before the outcome.
      await recovery?.flushed();
    }
    // Behind everything this worker sent to other processes: the relay
    // forwards all of it before the coordinator counts this worker done.
    for (const worker of init!.relayed) links[worker]!.send({ type: "end", exchange: FLUSHED });
    send({ type: "done", stats: stats?.byStep() });
  } catch (error) {
    send({ type: "failed", error: encodeError(error), stats: stats?.byStep() });
  }
}

// This Worker's share of recovery: it restores what it owns of the resume
// point, and its rows are written by the coordinator, which holds the store.
function workerRecovery(
  resume: ResumePoint,
  workerIndex: number,
  workerCount: number,
): WorkerRecovery {
  const write = (epoch: number, rows: readonly SnapshotRow[]) =>
    new Promise<void>((resolve, reject) => {
      const id = nextWrite++;
      writes.set(id, { resolve, reject });
      // Copied by the message, not moved: the rows' buffers stay usable here.
      send({ type: "write", id, epoch, rows });
    });
  return new WorkerRecovery(resume, workerIndex, workerCount, write, {
    written: (epoch) => send({ type: "written", epoch }),
    finished: () => send({ type: "finished" }),
    failed: (error) => controller.abort(error),
  }, codec!);
}

parent.onMessage((data) => {
  const message = data as ToWorker;
  switch (message.type) {
    case "init":
      void build(message);
      break;
    case "start":
      void start();
      break;
    case "parts":
      partsAsked.get(message.path)?.resolve([...message.parts]);
      break;
    case "epoch":
      epochs.close(message.epoch);
      break;
    case "stop":
      controller.abort(decodeError(message.error));
      // Nothing runs yet to report the stop: say it here.
      if (!started) send({ type: "failed", error: message.error });
      break;
    case "drain":
      drain.abort();
      break;
    case "wrote": {
      const write = writes.get(message.id);
      writes.delete(message.id);
      if (message.error === undefined) write?.resolve();
      else write?.reject(decodeError(message.error));
      break;
    }
    case "close":
      // Nothing left to keep the thread alive: it ends by itself, its output flushed.
      for (const link of links) link?.close();
      parent.close();
      break;
  }
});
send({ type: "listening" });
