import assert from "node:assert/strict";
import {
  Dataflow,
  type DynamicSink,
  type DynamicSource,
  type FixedPartitionedSink,
  iterate,
  run,
  stableHash,
  type StatefulSinkPartition,
  StepError,
} from "../../mod.ts";
import { TestingSink, TestingSource, TestingSourceAbort } from "../../connectors/testing.ts";

const MANY = Array.from({ length: 50 }, (_, i) => i + 1);

/** A source that never ends; counts the batches it produced and records `close()`. */
function endlessSource(): {
  source: DynamicSource<number>;
  state: { produced: number; closed: number };
} {
  const state = { produced: 0, closed: 0 };
  return {
    state,
    source: {
      build: () => ({
        nextBatch: () => [++state.produced],
        close: () => {
          state.closed++;
        },
      }),
    },
  };
}

/** A sink that collects items and counts `close()` calls; `fail` makes writeBatch throw. */
function recordingSink<T>(
  options: { fail?: (batch: readonly T[]) => unknown; delayMs?: number } = {},
): { sink: DynamicSink<T>; state: { items: T[]; batches: number; closed: number } } {
  const state = { items: [] as T[], batches: 0, closed: 0 };
  return {
    state,
    sink: {
      build: () => ({
        async writeBatch(batch: readonly T[]) {
          if (options.delayMs !== undefined) {
            await new Promise((resolve) => setTimeout(resolve, options.delayMs));
          }
          const error = options.fail?.(batch);
          if (error !== undefined) throw error;
          state.batches++;
          state.items.push(...batch);
        },
        close: () => {
          state.closed++;
        },
      }),
    },
  };
}

// iteration

Deno.test("for await over a stream yields its items and drains the flow's outputs", async () => {
  const written: number[] = [];
  const flow = new Dataflow("f");
  const inp = flow.input("inp", new TestingSource(MANY, { batchSize: 3 }));
  inp.output("out", new TestingSink(written));
  const doubled = inp.map("double", (x) => x * 2);
  const seen: number[] = [];
  for await (const x of doubled) seen.push(x);
  assert.deepEqual(seen, MANY.map((x) => x * 2));
  assert.deepEqual(written, MANY);
});

Deno.test("breaking out of a for await over a stream stops the run and closes the source", async () => {
  const { source, state } = endlessSource();
  const sink = recordingSink<number>();
  const flow = new Dataflow("f");
  const inp = flow.input("inp", source);
  inp.output("out", sink.sink);
  const seen: number[] = [];
  for await (const x of inp) {
    seen.push(x);
    if (seen.length === 3) break;
  }
  assert.deepEqual(seen, [1, 2, 3]);
  assert.equal(state.closed, 1);
  assert.equal(sink.state.closed, 1);
  const produced = state.produced;
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(state.produced, produced, "the source was read after the loop ended");
});

Deno.test("iterate() rejects with the error of a failing step", async () => {
  const error = new Error("boom");
  const flow = new Dataflow("f");
  const mapped = flow.input("inp", MANY).map("bad", (x) => {
    if (x === 3) throw error;
    return x;
  });
  const seen: number[] = [];
  await assert.rejects(
    async () => {
      for await (const x of iterate(mapped)) seen.push(x);
    },
    (e: unknown) => e instanceof StepError && e.stepId === "f.bad" && e.cause === error,
  );
  assert.deepEqual(seen, []);
});

// fan-out and fan-in

Deno.test("a stream consumed by two steps feeds both with every item, in order", async () => {
  for (const batchSize of [1, 3]) {
    const a: number[] = [];
    const b: string[] = [];
    const flow = new Dataflow("f");
    const inp = flow.input("inp", new TestingSource(MANY, { batchSize }));
    inp.map("a", (x) => x * 10).output("out_a", new TestingSink(a));
    inp.map("b", String).output("out_b", new TestingSink(b));
    await run(flow);
    assert.deepEqual(a, MANY.map((x) => x * 10));
    assert.deepEqual(b, MANY.map(String));
  }
});

Deno.test("merge() fans in several inputs and a diamond of one input into one output", async () => {
  const out: number[] = [];
  const flow = new Dataflow("f");
  const inp = flow.input("inp", new TestingSource(MANY, { batchSize: 3 }));
  const neg = inp.map("neg", (x) => -x);
  const other = flow.input("other", new TestingSource([1000, 2000]));
  inp.merge("all", neg, other).output("out", new TestingSink(out));
  await run(flow);
  assert.deepEqual(out.filter((x) => x > 0 && x < 1000), MANY);
  assert.deepEqual(out.filter((x) => x < 0), MANY.map((x) => -x));
  assert.deepEqual(out.filter((x) => x >= 1000), [1000, 2000]);
});

// failures

Deno.test("an error in one output stops the others, closes their sources and is what run() reports", async () => {
  const error = new Error("boom");
  const endless = endlessSource();
  const other = recordingSink<number>();
  const flow = new Dataflow("f");
  flow.input("endless", endless.source).output("forever", other.sink);
  flow.input("inp", new TestingSource(MANY))
    .map("bad", (x) => {
      if (x === 3) throw error;
      return x;
    })
    .output("out", new TestingSink());
  await assert.rejects(
    run(flow),
    (e: unknown) => e instanceof StepError && e.stepId === "f.bad" && e.cause === error,
  );
  assert.equal(endless.state.closed, 1);
  assert.equal(other.state.closed, 1);
});

Deno.test("a source whose nextBatch() throws fails the run with a StepError naming the input", async () => {
  const error = new Error("disk gone");
  const flow = new Dataflow("f");
  flow.input("inp", {
    build: () => ({
      nextBatch: () => {
        throw error;
      },
    }),
  }).output("out", new TestingSink());
  await assert.rejects(
    run(flow),
    (e: unknown) => e instanceof StepError && e.stepId === "f.inp" && e.cause === error,
  );
});

Deno.test("a TestingSource ABORT fails the run once, and EOF ends it", async () => {
  const out: number[] = [];
  const source = new TestingSource([1, TestingSource.ABORT, 2, TestingSource.EOF, 3]);
  const flow = new Dataflow("f");
  flow.input("inp", source).output("out", new TestingSink(out));
  await assert.rejects(
    run(flow),
    (e: unknown) =>
      e instanceof StepError && e.stepId === "f.inp" && e.cause instanceof TestingSourceAbort,
  );
  assert.deepEqual(out, [1]);
  await run(flow);
  assert.deepEqual(out, [1, 1, 2]);
});

Deno.test("a sink whose writeBatch() throws fails the run with a StepError naming the output", async () => {
  const error = new Error("disk full");
  const { sink, state } = recordingSink<number>({ fail: (b) => b.includes(4) ? error : undefined });
  const flow = new Dataflow("f");
  flow.input("inp", new TestingSource(MANY, { batchSize: 3 })).output("out", sink);
  await assert.rejects(run(flow), (e: unknown) => {
    assert.ok(e instanceof StepError);
    assert.equal(e.stepId, "f.out");
    assert.equal(e.cause, error);
    assert.deepEqual(e.item, [4, 5, 6]);
    return true;
  });
  assert.deepEqual(state.items, [1, 2, 3]);
  assert.equal(state.closed, 1);
});

Deno.test("sinks are closed once when the run succeeds and once when it fails", async () => {
  const ok = recordingSink<number>();
  const flow = new Dataflow("f");
  flow.input("inp", MANY).output("out", ok.sink);
  await run(flow);
  assert.equal(ok.state.closed, 1);
  assert.deepEqual(ok.state.items, MANY);

  const healthy = recordingSink<number>();
  const failing = recordingSink<number>({ fail: () => new Error("no") });
  const failed = new Dataflow("g");
  const inp = failed.input("inp", new TestingSource(MANY));
  inp.output("healthy", healthy.sink);
  inp.output("failing", failing.sink);
  await assert.rejects(run(failed), StepError);
  assert.equal(healthy.state.closed, 1);
  assert.equal(failing.state.closed, 1);
});

Deno.test("a sink close() error fails an otherwise successful run", async () => {
  const error = new Error("flush failed");
  const flow = new Dataflow("f");
  flow.input("inp", [1]).output("out", {
    build: () => ({
      writeBatch() {},
      close() {
        throw error;
      },
    }),
  });
  await assert.rejects(
    run(flow),
    (e: unknown) => e instanceof StepError && e.stepId === "f.out" && e.cause === error,
  );
});

// abort

Deno.test("run() with an aborted signal rejects with the signal's reason and closes the source", async () => {
  const reason = new Error("stop");
  const controller = new AbortController();
  const { source, state } = endlessSource();
  const { sink, state: written } = recordingSink<number>({
    fail: () => {
      if (written.batches === 2) controller.abort(reason);
      return undefined;
    },
  });
  const flow = new Dataflow("f");
  flow.input("inp", source).output("out", sink);
  await assert.rejects(run(flow, { signal: controller.signal }), (e: unknown) => e === reason);
  assert.equal(state.closed, 1);
  assert.equal(written.closed, 1);
});

Deno.test("run() with a signal already aborted rejects with its reason", async () => {
  const reason = new Error("too late");
  const flow = new Dataflow("f");
  flow.input("inp", [1]).output("out", new TestingSink());
  await assert.rejects(
    run(flow, { signal: AbortSignal.abort(reason) }),
    (e: unknown) => e === reason,
  );
});

// backpressure

Deno.test("a slow sink bounds how far an endless source is read", async () => {
  const controller = new AbortController();
  const { source, state } = endlessSource();
  const slow = recordingSink<number>({
    delayMs: 1,
    fail: () => {
      if (slow.state.batches === 10) controller.abort(new Error("enough"));
      return undefined;
    },
  });
  const flow = new Dataflow("f");
  flow.input("inp", source).map("m", (x) => x).output("out", slow.sink);
  await assert.rejects(run(flow, { signal: controller.signal }));
  assert.ok(
    state.produced <= slow.state.batches + 20,
    `produced ${state.produced} batches for ${slow.state.batches} written`,
  );
});

Deno.test("in a fan-out, the slowest sink bounds how far an endless source is read", async () => {
  const controller = new AbortController();
  const { source, state } = endlessSource();
  const fast = recordingSink<number>();
  const slow = recordingSink<number>({
    delayMs: 1,
    fail: () => {
      if (slow.state.batches === 10) controller.abort(new Error("enough"));
      return undefined;
    },
  });
  const flow = new Dataflow("f");
  const inp = flow.input("inp", source);
  inp.output("fast", fast.sink);
  inp.map("m", (x) => x).output("slow", slow.sink);
  await assert.rejects(run(flow, { signal: controller.signal }));
  assert.ok(
    state.produced <= slow.state.batches + 20,
    `produced ${state.produced} batches for ${slow.state.batches} written`,
  );
  assert.ok(fast.state.batches <= slow.state.batches + 20);
});

// fixed-partitioned sinks

/** A two-part sink that records the batches each part was written. */
class TwoPartSink implements FixedPartitionedSink<number, number> {
  readonly writes: Record<string, number[][]> = {};
  readonly built: [string, string, unknown][] = [];
  readonly closed: string[] = [];
  readonly partFn: ((key: string) => number) | undefined;

  constructor(partFn?: (key: string) => number) {
    this.partFn = partFn;
  }

  listParts(): string[] {
    return ["p1", "p0"];
  }

  buildPart(stepId: string, forPart: string, resume: number | undefined) {
    this.built.push([stepId, forPart, resume]);
    const batches: number[][] = this.writes[forPart] = [];
    const part: StatefulSinkPartition<number, number> = {
      writeBatch: (values) => void batches.push([...values]),
      snapshot: () => batches.length,
      close: () => void this.closed.push(forPart),
    };
    return part;
  }
}

// `output()` types a keyed stream's sink as `Sink<[string, V]>`, while a
// fixed-partitioned sink's parts are written values without keys; see the report.

Deno.test("a fixed-partitioned sink gets each value, without its key, in the part its key picks", async () => {
  const sink = new TwoPartSink((key) => key.startsWith("a") ? 0 : 1);
  const flow = new Dataflow("f");
  flow.input(
    "inp",
    new TestingSource<[string, number]>([["a1", 1], ["b1", 2], ["a2", 3], ["b2", 4], ["a1", 5]], {
      batchSize: 3,
    }),
  ).output("out", sink);
  await run(flow);
  assert.deepEqual(sink.built.sort(), [["f.out", "p0", undefined], ["f.out", "p1", undefined]]);
  assert.deepEqual(sink.writes, { p0: [[1, 3], [5]], p1: [[2], [4]] });
  assert.deepEqual(sink.closed.sort(), ["p0", "p1"]);
});

Deno.test("a fixed-partitioned sink routes by the stable hash of the key by default", async () => {
  const sink = new TwoPartSink();
  const keys = ["x", "y", "z", "user-42", "x", "y"];
  const flow = new Dataflow("f");
  flow.input("inp", keys.map((key, i): [string, number] => [key, i])).output(
    "out",
    sink,
  );
  await run(flow);
  const expected: Record<string, number[]> = { p0: [], p1: [] };
  keys.forEach((key, i) => expected[`p${stableHash(key) % 2}`]!.push(i));
  assert.deepEqual(
    { p0: sink.writes.p0!.flat(), p1: sink.writes.p1!.flat() },
    expected,
  );
});

Deno.test("a fixed-partitioned sink rejects an item that is not a [key, value] pair", async () => {
  const sink = new TwoPartSink();
  const flow = new Dataflow("f");
  // Typed as pairs, as plain JavaScript could not check: the step must.
  flow.input("inp", [["a", 1], 7] as unknown as [string, number][]).output("out", sink);
  await assert.rejects(run(flow), (e: unknown) => {
    assert.ok(e instanceof TypeError);
    assert.match(e.message, /^Cannot run step "f\.out":.*\[key, value\].*got 7$/);
    return true;
  });
  assert.deepEqual(sink.closed.sort(), ["p0", "p1"]);
});

Deno.test("a sink whose build() fails stops a run that fans out to other outputs", async () => {
  const error = new Error("cannot open");
  const good: number[] = [];
  const flow = new Dataflow("f");
  const inp = flow.input("inp", new TestingSource(MANY));
  inp.output("bad", {
    // Opening takes a moment, so the other output reads ahead meanwhile.
    build: async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw error;
    },
  });
  inp.output("good", new TestingSink(good));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<"stalled">((resolve) => {
    timer = setTimeout(() => resolve("stalled"), 150);
  });
  try {
    const outcome = await Promise.race([
      run(flow).then(() => "resolved", (e: unknown) => e),
      stalled,
    ]);
    assert.notEqual(outcome, "stalled", `run() never settled; "good" got ${good.length} items`);
    assert.ok(outcome instanceof StepError, `expected a StepError, got ${outcome}`);
    assert.equal(outcome.stepId, "f.bad");
    assert.equal(outcome.cause, error);
  } finally {
    clearTimeout(timer);
  }
});

/** Counts up forever, synchronously; throws after `limitMs` of real time so a broken run ends. */
function* busyCounter(limitMs = 5_000): Generator<number> {
  const end = performance.now() + limitMs;
  for (let n = 0;; n++) {
    if ((n & 1023) === 0 && performance.now() > end) {
      throw new Error(`no timer fired in ${limitMs} ms of synchronous work`);
    }
    yield n;
  }
}

Deno.test("timers fire during a run whose every step completes synchronously", async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const enough = new Error("three ticks");
  const controller = new AbortController();
  const flow = new Dataflow("busy");
  flow.input("inp", busyCounter())
    .map("inc", (n) => n + 1)
    .output("out", {
      build: () => ({
        writeBatch() {
          if (ticks >= 3) controller.abort(enough);
        },
      }),
    });
  try {
    await assert.rejects(run(flow, { signal: controller.signal }), enough);
  } finally {
    clearInterval(timer);
  }
});

Deno.test("an abort signal fired by a timer stops an endless in-memory run and closes its sink", async () => {
  let closed = 0;
  let items = 0;
  const flow = new Dataflow("busy");
  flow.input("inp", busyCounter())
    .output("out", {
      build: () => ({
        writeBatch: (batch) => void (items += batch.length),
        close: () => void closed++,
      }),
    });
  const controller = new AbortController();
  const stop = new Error("stopped by a timer");
  const timer = setTimeout(() => controller.abort(stop), 20);
  try {
    await assert.rejects(run(flow, { signal: controller.signal }), stop);
  } finally {
    clearTimeout(timer);
  }
  assert.equal(closed, 1);
  assert.ok(items > 0);
});

Deno.test("timers fire while a for await over a stream of an endless in-memory flow runs", async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const flow = new Dataflow("busy");
  const stream = flow.input("inp", busyCounter()).map("inc", (n) => n + 1);
  let seen = 0;
  try {
    for await (const _ of iterate(stream)) {
      seen++;
      if (ticks >= 3) break;
    }
  } finally {
    clearInterval(timer);
  }
  assert.ok(seen > 0);
});

Deno.test("a drainSignal ends the inputs: end-of-input aggregates emit, sources and sinks close, run() resolves", async () => {
  const drain = new AbortController();
  let seen = 0;
  let sourceClosed = 0;
  // Three words, then nothing, forever.
  const words: DynamicSource<string> = {
    build: () => {
      let sent = false;
      return {
        nextBatch: () => sent ? [] : (sent = true, ["a", "b", "a"]),
        close: () => void sourceClosed++,
      };
    },
  };
  const flow = new Dataflow("f");
  const { sink, state } = recordingSink<[string, number]>();
  flow.input("inp", words)
    .inspect("seen", () => {
      if (++seen === 3) drain.abort();
    })
    .countFinal("count", (word) => word)
    .output("out", sink);
  await run(flow, { drainSignal: drain.signal });
  assert.deepEqual(state.items, [["a", 2], ["b", 1]]);
  assert.equal(state.closed, 1);
  assert.equal(sourceClosed, 1);
});

Deno.test("a drainSignal ends an endless in-memory input; the run's own signal still fails the run", async () => {
  const drain = new AbortController();
  const out: [string, number][] = [];
  const flow = new Dataflow("f");
  flow.input("inp", busyCounter())
    .map("one", () => "n")
    .countFinal("count", (n) => n)
    .output("out", new TestingSink<[string, number]>(out));
  const timer = setTimeout(() => drain.abort(), 20);
  await run(flow, { drainSignal: drain.signal });
  clearTimeout(timer);
  assert.equal(out.length, 1);
  assert.ok(out[0]![1] > 0);

  const stop = new AbortController();
  const drainLater = new AbortController();
  const aborted = new Error("stopped");
  const again = new Dataflow("g");
  again.input("inp", busyCounter()).output("out", new TestingSink());
  setTimeout(() => stop.abort(aborted), 20);
  await assert.rejects(
    run(again, { signal: stop.signal, drainSignal: drainLater.signal }),
    aborted,
  );
});

Deno.test("timers fire during a synchronous run whose steps hold every batch back until end of input", async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const enough = new Error("three ticks");
  const controller = new AbortController();
  const flow = new Dataflow("busy");
  flow.input("inp", busyCounter())
    .inspect("watch", () => {
      if (ticks >= 3) controller.abort(enough);
    })
    .countFinal("count", () => "all")
    .output("out", new TestingSink());
  try {
    await assert.rejects(run(flow, { signal: controller.signal }), enough);
  } finally {
    clearInterval(timer);
  }
});

Deno.test("iterate() reports a failing output once, even while its consumer waits on timers", async () => {
  const flow = new Dataflow("f");
  const numbers = flow.input("inp", [1, 2, 3]);
  numbers.output("bad", {
    build: () => ({
      writeBatch() {
        throw new Error("sink down");
      },
    }),
  });
  await assert.rejects(
    (async () => {
      for await (const _ of iterate(numbers)) {
        // The failed output's error waits across event-loop turns for this loop to end.
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })(),
    (error: unknown) => error instanceof StepError && error.stepId === "f.bad",
  );
});
