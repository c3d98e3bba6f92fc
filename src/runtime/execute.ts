/**
 * Turns a flow's graph into the running steps of one worker.
 *
 * Every worker runs the whole graph. Each node becomes a transformer of
 * runtime streams; a port read by several steps goes through a bounded
 * {@linkcode Fork}; chains of stateless batch steps fuse into one step.
 * Nothing that cannot reach an output (or a stream being iterated) runs.
 * With several workers, a step input whose pact is not pipeline reads
 * through an exchange (see `exchange/mod.ts`).
 *
 * @module
 */

import type { Dataflow } from "../dataflow/dataflow.ts";
import type {
  BatchFn,
  FlatMapBatchNode,
  InputNode,
  OutputNode,
  Port,
  StepContext,
  StepNode,
} from "../dataflow/graph.ts";
import { upstreamPorts } from "../dataflow/graph.ts";
import { type Pact, pactOf } from "../dataflow/pact.ts";
import { compileFold, compileStages, type PathStage } from "./_compile.ts";
import type { WorkerContext } from "./context.ts";
import { broadcast, Fork } from "./fork.ts";
import { mergeMessages } from "./merge_messages.ts";
import { Barrier, isBatch, type Message, type MessageStream } from "./message.ts";
import type { SinkProgress } from "./recovery/worker.ts";
import { BatchStream } from "./nodes/batch.ts";
import { branchRoute } from "./nodes/branch.ts";
import { inputStep } from "./nodes/input.ts";
import { inspectDebugStep } from "./nodes/inspect_debug.ts";
import { mapAsyncStep } from "./nodes/map_async.ts";
import { outputStep } from "./nodes/output.ts";
import { pipeStep } from "./nodes/pipe.ts";
import { statefulBatchStep } from "./nodes/stateful_batch.ts";
import { keyedFoldStep } from "./nodes/keyed_fold.ts";
import { prepareTaskTurns } from "./_task_turn.ts";
import type { Exchanges } from "./exchange/exchanges.ts";
import { routerFor } from "./exchange/routes.ts";
import { counted } from "./run_stats.ts";

/** One worker's share of a run, ready to start. */
export interface WorkerPlan {
  /** One per output step: drains it into its sink. */
  readonly drains: readonly (() => Promise<void>)[];
  /** One per tapped port, in the order given. */
  readonly taps: readonly MessageStream[];
}

function portKey(port: Port): string {
  return `${port.node.path}\0${port.name}`;
}

/**
 * Plans one worker's run of `flow`.
 *
 * @param flow The flow.
 * @param ctx The worker.
 * @param tapped Ports to hand back as streams (for `for await` over a stream).
 * @param exchanges The transport between workers; with it and more than one
 *   worker, every step input whose pact is not pipeline reads through an
 *   exchange (one per producer port and pact).
 * @returns The drains and taps; nothing runs until they are started.
 * @throws {TypeError} When the flow has no output and nothing is tapped.
 */
export function planWorker(
  flow: Dataflow,
  ctx: WorkerContext,
  tapped: readonly Port[] = [],
  exchanges?: Exchanges,
): WorkerPlan {
  prepareTaskTurns();
  const outputs = flow.nodes.filter((node): node is OutputNode => node.kind === "output");
  if (outputs.length === 0 && tapped.length === 0) {
    throw new TypeError(
      `Cannot run flow "${flow.id}": it has no output step; add .output() to a stream, or iterate one`,
    );
  }

  // With one worker every input is pipeline: no exchange, today's path.
  const pactFor = (node: StepNode, side: number): Pact =>
    exchanges !== undefined && ctx.workerCount > 1 ? pactOf(node, side) : "pipeline";
  // An exchange is shared by the readers of one port with one pact (a sink's routing is its own).
  const exchangeKey = (node: StepNode, port: Port, pact: Pact): string =>
    `${portKey(port)}\0${pact}${pact === "sinkPartition" ? `\0${node.path}` : ""}`;

  // Only nodes upstream of an output or a tap run; count their readers per port and exchange.
  const live = new Set<StepNode>();
  const readers = new Map<string, number>();
  const count = (key: string): boolean => {
    const before = readers.get(key) ?? 0;
    readers.set(key, before + 1);
    return before === 0;
  };
  const visit = (port: Port): void => {
    count(portKey(port));
    if (live.has(port.node)) return;
    live.add(port.node);
    upstreamPorts(port.node).forEach((up, side) => visitInput(port.node, side, up));
  };
  const visitInput = (node: StepNode, side: number, port: Port): void => {
    const pact = pactFor(node, side);
    if (pact === "pipeline") visit(port);
    else if (count(exchangeKey(node, port, pact))) visit(port);
  };
  for (const output of outputs) {
    live.add(output);
    visitInput(output, 0, output.up);
  }
  for (const port of tapped) visit(port);

  const stepCtx: StepContext = {
    workerIndex: ctx.workerIndex,
    workerCount: ctx.workerCount,
    now: () => ctx.clock.now(),
  };
  const forks = new Map<string, { fork: Fork<unknown>; next: number }>();
  const branchForks = new Map<StepNode, Fork<unknown>>();

  const readerCount = (port: Port): number => readers.get(portKey(port)) ?? 0;

  // The stream one of `count` readers of `key` gets; `make` is called once.
  const share = (key: string, make: () => MessageStream): MessageStream => {
    const count = readers.get(key) ?? 0;
    if (count === 1) return make();
    let entry = forks.get(key);
    if (!entry) {
      entry = {
        fork: new Fork(make(), new Array(count).fill(true), broadcast(count), ctx.signal),
        next: 0,
      };
      forks.set(key, entry);
    }
    return entry.fork.port(entry.next++);
  };

  // The stream one reader of `port` gets.
  const consume = (port: Port): MessageStream => share(portKey(port), () => produce(port));

  // The stream input `side` of `node` reads: `port` itself, or its exchange.
  const input = (node: StepNode, side: number, port: Port): MessageStream => {
    const stream = exchanged(node, side, port);
    return ctx.stats ? counted(stream, ctx.stats, node.path, "in", ctx.workerIndex) : stream;
  };
  const exchanged = (node: StepNode, side: number, port: Port): MessageStream => {
    const pact = pactFor(node, side);
    if (pact === "pipeline") return consume(port);
    const key = exchangeKey(node, port, pact);
    return share(key, () =>
      exchanges!.connect(
        key,
        ctx.workerIndex,
        consume(port),
        () => routerFor(node, pact, ctx.workerIndex, ctx.workerCount),
        { path: node.path, keyed: pact !== "roundRobin" },
      ));
  };

  // The stream a port produces; called once per port.
  const produce = (port: Port): MessageStream => {
    const stream = produceUncounted(port);
    return ctx.stats ? counted(stream, ctx.stats, port.node.path, "out", ctx.workerIndex) : stream;
  };
  const produceUncounted = (port: Port): MessageStream => {
    const node = port.node;
    switch (node.kind) {
      case "input":
        return ctx.drainSignal === undefined
          ? inputStep(node, ctx)
          : drainableInput(node, ctx, ctx.drainSignal);
      case "flatMapBatch": {
        // The chain of batch steps ending here with no fan-out in between, upstream first.
        const chain: FlatMapBatchNode[] = [node];
        let up = node.up;
        while (up.node.kind === "flatMapBatch" && readerCount(up) === 1) {
          chain.unshift(up.node);
          up = up.node.up;
        }
        return new BatchStream(chainFns(chain, stepCtx), input(chain[0]!, 0, up));
      }
      case "branch": {
        let fork = branchForks.get(node);
        if (!fork) {
          const open = [
            readerCount({ node, name: "trues" }) > 0,
            readerCount({ node, name: "falses" }) > 0,
          ];
          fork = new Fork(input(node, 0, node.up), open, branchRoute(node), ctx.signal);
          branchForks.set(node, fork);
        }
        return fork.port(port.name === "trues" ? 0 : 1);
      }
      case "merge":
        return mergeMessages(node.ups.map((up, side) => input(node, side, up)));
      case "inspectDebug":
        return inspectDebugStep(node, input(node, 0, node.up), ctx);
      case "redistribute":
        // Its input's exchange (round-robin) does the spreading; with one worker there is none.
        return input(node, 0, node.up);
      case "pipe":
        return pipeStep(node, input(node, 0, node.up));
      case "mapAsync":
        return mapAsyncStep(node, input(node, 0, node.up), ctx);
      case "statefulBatch":
        return statefulBatchStep(node, input(node, 0, node.up), ctx, stepCtx);
      case "keyedFold": {
        const fold = "step" in node.fold ? compileFold(node.path, node.fold) : node.fold;
        const inputs = node.ups.map((up, side) => input(node, side, up));
        return keyedFoldStep(fold, inputs, ctx, stepCtx, node.path);
      }
      case "output":
        throw new TypeError(`Cannot read from output step "${node.path}"`);
    }
  };

  const drains = outputs.map((node) => {
    const stream = input(node, 0, node.up);
    // Registered now, before any barrier can pass a sink of this worker.
    const progress = ctx.recovery?.sink();
    return () => outputStep(node, stream, ctx, progress);
  });
  const taps = tapped.map((port) => {
    const stream = consume(port);
    return ctx.recovery === undefined ? stream : tapProgress(stream, ctx.recovery.sink());
  });
  return { drains, taps };
}

/** A tapped stream that tells recovery when a barrier passed it, as a sink does. */
async function* tapProgress(
  stream: MessageStream,
  progress: SinkProgress,
): AsyncGenerator<Message, void, undefined> {
  for await (const message of stream) {
    yield message;
    if (message instanceof Barrier) progress.passed(message.epoch);
  }
  progress.ended();
}

// Why a drained input stopped reading; never seen outside this module.
const DRAINED = Symbol("drained");

/**
 * An input that `drain` ends as if its data had: the partitions stop and
 * close, and the steps after it see end of input, so they flush what they
 * hold open. An abort of the run itself still fails it.
 */
async function* drainableInput(
  node: InputNode,
  ctx: WorkerContext,
  drain: AbortSignal,
): AsyncGenerator<Message, void, undefined> {
  // Reading stops on either signal; only the run's own abort is an error.
  const controller = new AbortController();
  const onAbort = () => controller.abort(ctx.signal.aborted ? ctx.signal.reason : DRAINED);
  const signals = [ctx.signal, drain];
  for (const signal of signals) signal.addEventListener("abort", onAbort, { once: true });
  if (ctx.signal.aborted || drain.aborted) onAbort();
  try {
    yield* inputStep(node, { ...ctx, signal: controller.signal });
  } catch (error) {
    if (error !== DRAINED) throw error;
  } finally {
    for (const signal of signals) signal.removeEventListener("abort", onAbort);
  }
}

/** The batch functions of a chain, each run of item stages compiled into one loop. */
function chainFns(chain: readonly FlatMapBatchNode[], stepCtx: StepContext): BatchFn[] {
  const fns: BatchFn[] = [];
  let run: PathStage[] = [];
  const flush = () => {
    if (run.length > 0) fns.push(compileStages(run));
    run = [];
  };
  for (const node of chain) {
    if (node.stage) {
      run.push({ path: node.path, stage: node.stage });
    } else {
      flush();
      fns.push(node.build(stepCtx));
    }
  }
  flush();
  return fns;
}

/**
 * Yields the items of a runtime stream, dropping control messages.
 *
 * @param stream A runtime stream.
 * @returns Its items, one by one.
 */
export async function* itemsOf<T>(stream: MessageStream<T>): AsyncGenerator<T, void, undefined> {
  for await (const message of stream) {
    if (isBatch(message)) yield* message;
  }
}
