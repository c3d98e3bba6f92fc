import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import fc from "fast-check";
import { Dataflow, EventClock, iterate, run, StepError, TumblingWindower } from "../../mod.ts";
import type { KeyedStream, Stream } from "../dataflow/stream.ts";
import { DirSource, FileSink } from "../../connectors/mod.ts";
import { TestingSink, TestingTime } from "../../connectors/testing.ts";
import { withTempDir } from "../../tests/_runtime.ts";
import { Partitioned } from "../../tests/_partitioned.ts";

const WORKERS = [1, 2, 4, 7];
const T0 = Date.UTC(2024, 0, 1);

const sorted = (items: readonly unknown[]): string[] => items.map((i) => JSON.stringify(i)).sort();

/** Each key's values in arrival order: what a keyed step promises to keep. */
function perKey(items: readonly unknown[]): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const [key, value] of items as [string, unknown][]) (out[key] ??= []).push(value);
  return out;
}

async function sameForEveryWorkerCount(
  build: (flow: Dataflow, sink: TestingSink<unknown>) => void,
  compare: (items: readonly unknown[]) => unknown = sorted,
): Promise<unknown> {
  let first: unknown;
  for (const workers of WORKERS) {
    const out: unknown[] = [];
    const flow = new Dataflow("f");
    build(flow, new TestingSink(out));
    await run(flow, { workers, time: new TestingTime(T0) });
    const result = compare(out);
    if (workers === 1) first = result;
    else assert.deepEqual(result, first, `${workers} workers`);
  }
  return first;
}

const lines = new Partitioned({
  p0: ["a b c", "b c", "c d a"],
  p1: ["e a", "b b b", "f"],
  p2: ["a"],
});

Deno.test("workers: wordcount gives one worker's counts with 1, 2, 4 and 7 workers", async () => {
  const counts = await sameForEveryWorkerCount((flow, sink) => {
    flow.input("inp", lines).flatMap("split", (line) => line.split(" "))
      .countFinal("count", (word) => word).output("out", sink);
  });
  assert.deepEqual(
    counts,
    sorted([["a", 4], ["b", 5], ["c", 3], ["d", 1], ["e", 1], ["f", 1]]),
  );
});

// Each key's items come from one partition, so their order is defined.
const keyed = new Partitioned<[string, number]>({
  p0: [["a", 1], ["b", 2], ["a", 3], ["a", 4], ["b", 5]],
  p1: [["c", 6], ["c", 7], ["d", 8], ["c", 9]],
  p2: [["e", 10], ["e", 11], ["e", 12], ["e", 13]],
}, 3);

Deno.test("workers: collect and statefulMap keep each key's order with any worker count", async () => {
  const lists = await sameForEveryWorkerCount((flow, sink) => {
    flow.input("inp", keyed).collect("lists", { maxSize: 2, timeout: 60_000 }).output("out", sink);
  }, perKey);
  assert.deepEqual(lists, {
    a: [[1, 3], [4]],
    b: [[2, 5]],
    c: [[6, 7], [9]],
    d: [[8]],
    e: [[10, 11], [12, 13]],
  });
  const sums = await sameForEveryWorkerCount((flow, sink) => {
    (flow.input("inp", keyed) as KeyedStream<number>)
      .statefulMap("sum", (sum: number | undefined, x) => [(sum ?? 0) + x, (sum ?? 0) + x])
      .output("out", sink);
  }, perKey);
  assert.deepEqual(sums, { a: [1, 4, 8], b: [2, 7], c: [6, 13, 22], d: [8], e: [10, 21, 33, 46] });
});

Deno.test("workers: join and a windowed count match one worker's", async () => {
  const names = new Partitioned<[string, string]>({
    n0: [["1", "Ann"], ["2", "Bo"]],
    n1: [["3", "Cy"], ["4", "Di"]],
  });
  const emails = new Partitioned<[string, string]>({
    e0: [["3", "cy@x"], ["1", "ann@x"], ["9", "z"]],
  });
  const joined = await sameForEveryWorkerCount((flow, sink) => {
    flow.input("names", names).join("join", flow.input("emails", emails)).output("out", sink);
  });
  assert.deepEqual(joined, sorted([["1", ["Ann", "ann@x"]], ["3", ["Cy", "cy@x"]]]));

  type Ev = { user: string; at: number };
  const events = new Partitioned<Ev>({
    a: [{ user: "u1", at: T0 + 1 }, { user: "u2", at: T0 + 2 }, { user: "u1", at: T0 + 15 }],
    b: [{ user: "u2", at: T0 + 3 }, { user: "u3", at: T0 + 12 }, { user: "u1", at: T0 + 4 }],
  });
  const windows = await sameForEveryWorkerCount((flow, sink) => {
    flow.input("inp", events).countWindow("count", (e) => e.user, {
      clock: EventClock((e: Ev) => e.at, { waitForSystemDuration: 60_000 }),
      windower: TumblingWindower({ length: 10, alignTo: T0 }),
    }).down.output("out", sink);
  });
  assert.deepEqual(
    windows,
    sorted([["u1", [0, 2]], ["u2", [0, 2]], ["u1", [1, 1]], ["u3", [1, 1]]]),
  );
});

Deno.test("workers: a FileSink gets every line once, through its partition's worker", async () => {
  await withTempDir(async (dir) => {
    let first: string[] | undefined;
    for (const workers of WORKERS) {
      const path = `${dir}/out-${workers}.txt`;
      const flow = new Dataflow("f");
      flow.input("inp", lines).flatMap("split", (line) => line.split(" "))
        .countFinal("count", (word) => word)
        .map("line", ([word, n]) => [word, `${word}=${n}`] as [string, string])
        .output("out", new FileSink(path));
      await run(flow, { workers });
      const written = (await readFile(path, "utf8")).split("\n").filter((l) => l !== "").sort();
      first ??= written;
      assert.deepEqual(written, first, `${workers} workers`);
    }
    assert.deepEqual(first, ["a=4", "b=5", "c=3", "d=1", "e=1", "f=1"]);
  });
});

Deno.test("workers: a DirSource's files are each read once, spread over the workers", async () => {
  await withTempDir(async (dir) => {
    const files = ["a", "b", "c", "d", "e"];
    for (const name of files) await writeFile(`${dir}/${name}.txt`, `${name}1\n${name}2\n`);
    for (const workers of WORKERS) {
      const seen: [number, string][] = [];
      const flow = new Dataflow("f");
      flow.input("inp", new DirSource(dir))
        .inspectDebug("where", (_id, line, _epoch, worker) => seen.push([worker, line]))
        .output("out", { build: () => ({ writeBatch() {} }) });
      await run(flow, { workers });
      const lines = seen.map(([, line]) => line).sort();
      assert.deepEqual(lines, files.flatMap((n) => [`${n}1`, `${n}2`]), `${workers} workers`);
      // File i (sorted by name) is read by worker i % workers.
      for (const [worker, line] of seen) {
        assert.equal(worker, files.indexOf(line[0]!) % workers, `${line} with ${workers} workers`);
      }
    }
  });
});

Deno.test("workers: a dynamic source is built once per worker with its index and count", async () => {
  const builds: [number, number][] = [];
  const out: number[] = [];
  const flow = new Dataflow("f");
  flow.input("inp", {
    build: (_id: string, workerIndex: number, workerCount: number) => {
      builds.push([workerIndex, workerCount]);
      let done = false;
      return { nextBatch: () => done ? null : (done = true, [workerIndex * 10]) };
    },
  }).map("k", (n: number) => [String(n), n] as [string, number])
    .reduceFinal("sum", (a, b) => a + b)
    .map("v", ([, v]) => v).output("out", new TestingSink(out));
  await run(flow, { workers: 3 });
  assert.deepEqual(builds.sort(), [[0, 3], [1, 3], [2, 3]]);
  assert.deepEqual(out.sort((a, b) => a - b), [0, 10, 20]);
});

Deno.test("workers: a plain iterable is read by worker 0 only", async () => {
  const seen: [number, number][] = [];
  const flow = new Dataflow("f");
  flow.input("inp", [1, 2, 3])
    .inspectDebug("where", (_id, n, _epoch, worker) => seen.push([worker, n]))
    .output("out", { build: () => ({ writeBatch() {} }) });
  await run(flow, { workers: 4 });
  assert.deepEqual(seen, [[0, 1], [0, 2], [0, 3]]);
});

Deno.test("workers: a failing worker stops the run with the step's error intact", async () => {
  let closes = 0;
  const flow = new Dataflow("f");
  flow.input("inp", lines).flatMap("split", (line) => line.split(" "))
    .countFinal("count", (word) => word)
    .map("check", ([word, n]) => {
      if (word === "c") throw new RangeError(`too few: ${n}`);
      return n;
    })
    .output("out", { build: () => ({ writeBatch() {}, close: () => void closes++ }) });
  await assert.rejects(run(flow, { workers: 4 }), (error: unknown) => {
    assert.ok(error instanceof StepError, String(error));
    assert.equal(error.stepId, "f.check");
    assert.deepEqual(error.item, ["c", 3]);
    assert.ok(error.cause instanceof RangeError);
    assert.equal((error.cause as Error).message, "too few: 3");
    return true;
  });
  // Every worker's sink was closed.
  assert.equal(closes, 4);
});

Deno.test("workers: an item that is not a [key, value] pair is refused at the exchange, naming the keyed step", async () => {
  const flow = new Dataflow("f");
  (flow.input("inp", lines) as unknown as KeyedStream<number>)
    .statefulMap("sum", (s: number | undefined, x) => [x + (s ?? 0), x])
    .output("out", new TestingSink());
  await assert.rejects(run(flow, { workers: 2 }), (error: unknown) => {
    assert.ok(error instanceof Error);
    assert.match(error.message, /"f\.sum"/);
    assert.match(error.message, /\[key, value\] pair/);
    return true;
  });
});

Deno.test("workers: stopping a run of 4 workers closes every worker's sink", async () => {
  const controller = new AbortController();
  let closes = 0;
  let seen = 0;
  const flow = new Dataflow("f");
  flow.input("inp", {
    build: () => {
      let n = 0;
      // Endless, one item per timer: only the signal ends this run.
      return {
        nextBatch: async () => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          return [[String(n % 10), n++]] as [string, number][];
        },
      };
    },
  }).statefulMap("sum", (s: number | undefined, x: number) => [(s ?? 0) + x, x])
    .inspect("stop", () => {
      if (++seen === 50) controller.abort(new Error("stop now"));
    })
    .output("out", { build: () => ({ writeBatch() {}, close: () => void closes++ }) });
  await assert.rejects(run(flow, { workers: 4, signal: controller.signal }), {
    message: "stop now",
  });
  assert.equal(closes, 4);
});

Deno.test("workers: breaking out of iterate() stops every worker", async () => {
  let closed = 0;
  const flow = new Dataflow("f");
  const sums = flow.input("inp", {
    build: (_id: string, worker: number) => {
      let n = 0;
      return {
        nextBatch: async () => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          return [[`k${worker}-${n % 5}`, n++]] as [string, number][];
        },
        close: () => void closed++,
      };
    },
  }).statefulMap("sum", (s: number | undefined, x: number) => [(s ?? 0) + x, (s ?? 0) + x]);
  const seen: unknown[] = [];
  for await (const item of iterate(sums, { workers: 3 })) {
    seen.push(item);
    if (seen.length === 20) break;
  }
  assert.equal(seen.length, 20);
  assert.equal(closed, 3);
});

Deno.test("workers: workers must be a positive integer", async () => {
  const flow = new Dataflow("f");
  flow.input("inp", [1]).output("out", new TestingSink());
  for (const workers of [0, -1, 1.5, NaN]) {
    await assert.rejects(run(flow, { workers }), RangeError);
  }
});

// --- randomly generated small DAGs, compared with one worker's results under a watchdog ---

type Op =
  | {
    kind: "mapValue" | "filterValue" | "redistribute" | "pipe" | "mapAsync" | "sum" | "count";
    a: number;
  }
  | { kind: "merge" | "join"; a: number; b: number }
  | { kind: "branch"; a: number; trues: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constantFrom(
      "mapValue" as const,
      "filterValue" as const,
      "redistribute" as const,
      "pipe" as const,
      "mapAsync" as const,
      "sum" as const,
      "count" as const,
    ),
    a: fc.nat(),
  }),
  fc.record({ kind: fc.constantFrom("merge" as const, "join" as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant("branch" as const), a: fc.nat(), trues: fc.boolean() }),
);

const itemsArb = fc.array(
  fc.tuple(fc.constantFrom("a", "b", "c", "d", "e"), fc.integer({ min: 0, max: 9 })),
  {
    maxLength: 12,
  },
);

function buildDag(
  flow: Dataflow,
  sources: [string, number][][][],
  ops: readonly Op[],
  delays: readonly number[],
  outs: unknown[][],
): void {
  const streams: KeyedStream<number>[] = sources.map((parts, i) =>
    flow.input(
      `in${i}`,
      new Partitioned(Object.fromEntries(parts.map((items, p) => [`p${p}`, items]))),
    ) as KeyedStream<number>
  );
  const pause = (n: number) =>
    new Promise((resolve) => setTimeout(resolve, delays[n % delays.length]));
  ops.forEach((op, i) => {
    const a = streams[op.a % streams.length]!;
    const id = `op${i}`;
    switch (op.kind) {
      case "mapValue":
        streams.push(a.mapValue(id, (v) => v + 1));
        break;
      case "filterValue":
        streams.push(a.filterValue(id, (v) => v % 3 !== 0));
        break;
      case "redistribute":
        streams.push(a.redistribute(id) as KeyedStream<number>);
        break;
      case "pipe":
        streams.push(a.pipe(id, async function* (items) {
          for await (const item of items) yield item;
        }) as Stream<[string, number]> as KeyedStream<number>);
        break;
      case "mapAsync":
        streams.push(a.mapAsync(id, async (item) => {
          await pause(item[1]);
          return item;
        }, { concurrency: 3 }) as KeyedStream<number>);
        break;
      case "sum":
        streams.push(a.reduceFinal(id, (x, y) => x + y));
        break;
      case "count":
        streams.push(a.countFinal(id, ([key]) => key));
        break;
      case "merge":
        streams.push(a.merge(id, streams[op.b % streams.length]!) as KeyedStream<number>);
        break;
      case "join":
        streams.push(
          a.join(id, streams[op.b % streams.length]!, { insertMode: "product", emitMode: "final" })
            .mapValue(
              `${id}_sum`,
              (sides) =>
                (sides as (number[] | undefined)[]).flat().reduce(
                  (x: number, y) => x + (y ?? 0),
                  0,
                ),
            ),
        );
        break;
      case "branch": {
        const out = a.branch(id, ([, v]) => v % 2 === 0);
        streams.push((op.trues ? out.trues : out.falses) as KeyedStream<number>);
        break;
      }
    }
  });
  streams.forEach((stream, i) => {
    const out: unknown[] = [];
    outs.push(out);
    stream.output(`out${i}`, new TestingSink(out));
  });
}

async function watched<T>(promise: Promise<T>, what: string, ms = 20_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const watchdog = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`deadlock? ${what} did not finish in ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, watchdog]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("workers: random small DAGs complete and match one worker's results at 1, 2 and 3 workers", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(itemsArb, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 2 }),
      fc.array(opArb, { minLength: 1, maxLength: 7 }),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }),
      async (sources, ops, delays) => {
        let first: string[][] | undefined;
        for (const workers of [1, 2, 3]) {
          const outs: unknown[][] = [];
          const flow = new Dataflow("f");
          buildDag(flow, sources, ops, delays, outs);
          await watched(
            run(flow, { workers, epochInterval: 5 }),
            `${workers} workers over ${JSON.stringify(ops)}`,
          );
          const results = outs.map(sorted);
          first ??= results;
          assert.deepEqual(results, first, `${workers} workers over ${JSON.stringify(ops)}`);
        }
      },
    ),
    { numRuns: 40 },
  );
});
