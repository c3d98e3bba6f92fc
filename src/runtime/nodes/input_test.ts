import assert from "node:assert/strict";
import { TestingTime } from "../../../connectors/testing_time.ts";
import { Dataflow } from "../../dataflow/dataflow.ts";
import { TestingSink } from "../../../connectors/testing_sink.ts";
import { run } from "../run.ts";
import type { InputNode } from "../../dataflow/graph.ts";
import type { NextBatch, Source, StatelessSourcePartition } from "../../dataflow/inputs.ts";
import { settle } from "../../../tests/_helpers.ts";
import { type Deferred, deferred } from "../_async.ts";
import type { WorkerContext } from "../context.ts";
import { Barrier, type Message, StreamStatus } from "../message.ts";
import { Epochs } from "../progress/mod.ts";
import type { SystemTime } from "../system_time.ts";
import { inputStep } from "./input.ts";

/** A reader whose every `nextBatch()` stays pending until the test answers it. */
class HandFed implements StatelessSourcePartition<number> {
  calls = 0;
  #answer: Deferred<NextBatch<number>> | undefined;

  nextBatch(): Promise<NextBatch<number>> {
    this.calls++;
    this.#answer = deferred();
    return this.#answer.promise;
  }

  answer(batch: NextBatch<number>): void {
    this.#answer!.resolve(batch);
  }
}

/** `reader`'s methods, bound, for a partition object. */
function bind(reader: HandFed): StatelessSourcePartition<number> {
  return { nextBatch: () => reader.nextBatch() };
}

function show(messages: readonly Message[]): unknown[] {
  return messages.map((m) =>
    m instanceof Barrier
      ? `barrier ${m.epoch}`
      : m === StreamStatus.IDLE
      ? "idle"
      : m === StreamStatus.ACTIVE
      ? "active"
      : m
  );
}

/** The input step of a flow over `source`, on `epochs`. */
function inputOf(source: Source<number>, epochs: Epochs, clock: SystemTime = new TestingTime()) {
  const flow = new Dataflow("f");
  flow.input("inp", source);
  const ctx: WorkerContext = {
    workerIndex: 0,
    workerCount: 1,
    clock,
    signal: new AbortController().signal,
    epochInterval: 200,
    epochs,
  };
  return inputStep(flow.nodes[0] as InputNode, ctx);
}

/** Runs the input step of a flow over `source` in the background, on `epochs`. */
function startInput(source: Source<number>, epochs: Epochs) {
  const out: Message[] = [];
  const step = inputOf(source, epochs);
  const done = (async () => {
    for await (const message of step) out.push(message);
  })();
  return { out, done };
}

Deno.test("inputStep() emits barrier e at tick e while its read is pending, and says it is idle", async () => {
  const reader = new HandFed();
  const epochs = new Epochs();
  const { out, done } = startInput({ build: () => reader }, epochs);
  await settle(0);
  assert.equal(reader.calls, 1);
  epochs.close(1);
  await settle(0);
  assert.deepEqual(show(out), ["barrier 1", "idle"]);
  epochs.close(2);
  await settle(0);
  assert.deepEqual(show(out), ["barrier 1", "idle", "barrier 2"]);
  assert.equal(reader.calls, 1, "the pending read was abandoned or doubled for the tick");
  reader.answer([7]);
  await settle(0);
  assert.deepEqual(show(out).slice(3), ["active", [7]], "the batch came before it was active");
  epochs.close(3);
  await settle(0);
  assert.deepEqual(show(out).slice(5), ["barrier 3"], "busy in epoch 3, yet idle");
  reader.answer(null);
  await done;
  assert.deepEqual(show(out).slice(6), ["barrier 4"], "end of input did not close the open epoch");
});

Deno.test("inputStep() emits a barrier for every epoch closed since its last one, in order", async () => {
  const reader = new HandFed();
  const epochs = new Epochs();
  const { out, done } = startInput({ build: () => reader }, epochs);
  await settle(0);
  epochs.close(1);
  epochs.close(3);
  await settle(0);
  reader.answer(null);
  await done;
  assert.deepEqual(show(out), ["barrier 1", "barrier 2", "barrier 3", "idle", "barrier 4"]);
});

Deno.test("inputStep() that starts after some ticks first closes the epochs it missed", async () => {
  const reader = new HandFed();
  const epochs = new Epochs();
  epochs.close(3);
  const { out, done } = startInput({ build: () => reader }, epochs);
  await settle(0);
  reader.answer([1]);
  await settle(0);
  epochs.close(4);
  await settle(0);
  reader.answer(null);
  await done;
  assert.deepEqual(show(out), [
    "barrier 1",
    "barrier 2",
    "barrier 3",
    "idle",
    "active",
    [1],
    "barrier 4",
    "barrier 5",
  ]);
});

Deno.test("inputStep() passes barrier e once every partition has it, and is idle when all are", async () => {
  const readers: Record<string, HandFed> = { a: new HandFed(), b: new HandFed() };
  const epochs = new Epochs();
  const { out, done } = startInput({
    listParts: () => ["a", "b"],
    buildPart: (_id, part) => ({ ...bind(readers[part]!), snapshot: () => null }),
  }, epochs);
  await settle(0);
  readers.a!.answer([1]);
  await settle(0);
  epochs.close(1);
  await settle(0);
  assert.deepEqual(show(out), [[1], "barrier 1"], "quiet b made the whole input idle");
  epochs.close(2);
  await settle(0);
  assert.deepEqual(show(out), [[1], "barrier 1", "barrier 2", "idle"]);
  readers.b!.answer([2]);
  await settle(0);
  assert.deepEqual(show(out).slice(4), ["active", [2]]);
  readers.a!.answer(null);
  readers.b!.answer(null);
  await done;
  assert.deepEqual(show(out).slice(6), ["barrier 3"]);
});

Deno.test("inputStep() stopped at a barrier in the middle of a wait cancels the wait", async () => {
  // A clock that counts its sleepers: a wait left behind would be a timer on the real clock.
  let sleeping = 0;
  const time: SystemTime = {
    now: () => 0,
    sleepUntil: (_time, signal) =>
      new Promise((_resolve, reject) => {
        sleeping++;
        signal?.addEventListener("abort", () => {
          sleeping--;
          reject(signal.reason);
        }, { once: true });
      }),
  };
  const epochs = new Epochs();
  let polls = 0;
  const step = inputOf(
    {
      build: () => ({
        nextBatch: () => (polls++, []),
        nextAwake: () => polls === 0 ? undefined : 3_600_000,
      }),
    },
    epochs,
    time,
  );
  const first = step.next();
  await settle(0);
  assert.equal(sleeping, 1);
  epochs.close(1);
  assert.deepEqual((await first).value, new Barrier(1));
  await step.return(undefined);
  assert.equal(sleeping, 0, "the reader's wait outlived it");
});

Deno.test("inputStep() polls a reader again at its nextAwake on the run's clock", async () => {
  const clock = new TestingTime(1_000);
  let polls = 0;
  const out: number[] = [];
  const flow = new Dataflow("f");
  flow.input<number>("inp", {
    build: (_id, _index, _count, ctx) => ({
      // Nothing at first; then the time of the second poll; then the end.
      nextBatch: () => ++polls === 1 ? [] : polls === 2 ? [ctx.now()] : null,
      nextAwake: () => polls === 1 ? 1_100 : undefined,
    }),
  }).output("out", new TestingSink(out));
  const done = run(flow, { time: clock });
  await settle(30);
  assert.equal(polls, 1, "polled again before the run's clock reached nextAwake");
  clock.set(1_100);
  await done;
  assert.deepEqual(out, [1_100]);
  assert.equal(polls, 3);
});
