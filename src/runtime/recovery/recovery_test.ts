import assert from "node:assert/strict";
import { appendFile, readFile, writeFile } from "node:fs/promises";
import {
  Dataflow,
  EventClock,
  type FixedPartitionedSource,
  iterate,
  run,
  type RunOptions,
  TumblingWindower,
} from "../../../mod.ts";
import { FileSink } from "../../../connectors/file_sink.ts";
import { FileSource } from "../../../connectors/file_source.ts";
import {
  MemoryRecoveryStore,
  TestingSink,
  TestingSource,
  TestingTime,
} from "../../../connectors/testing.ts";
import type { TestingMarker } from "../../../connectors/testing_source.ts";
import { withTempDir } from "../../../tests/_runtime.ts";
import { decodeValue } from "../exchange/codec.ts";

// --- the harness ------------------------------------------------------------
//
// A flow reads one TestingSource whose numbers are not data but ticks: the
// "tick" step moves the run's TestingTime on by that many ms, which closes one
// epoch (EPOCH ms) per tick. Runs with ABORT markers at random places fail
// there; each is resumed from the store with the next worker count of a cycle,
// until a run ends. Each run starts its time where the input it resumes from
// had moved it (plus, for the clock test, hours of downtime), as a run that
// never crashed would have been at that point.

const EPOCH = 100;
const WORKER_CYCLE = [4, 3, 1, 2];

type Input = string | number | Record<string, unknown> | readonly unknown[];

interface Harness {
  /** The time the flow's "tick" step moves. */
  time: TestingTime;
}

type BuildFlow = (
  source: TestingSource<Input>,
  harness: Harness,
  sink: FileSink,
) => Dataflow;

/** A seeded random number generator (mulberry32), so that failures repeat. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The flow's first step: moves the time on at each tick, passes everything else. */
function ticking<S extends { filter(id: string, f: (item: Input) => boolean): unknown }>(
  stream: S,
  harness: Harness,
): ReturnType<S["filter"]> {
  return stream.filter("tick", (item) => {
    if (typeof item !== "number") return true;
    harness.time.advance(item);
    return false;
  }) as ReturnType<S["filter"]>;
}

/** `items` with ABORT markers before `count` distinct random positions. */
function withAborts(
  items: readonly Input[],
  count: number,
  next: () => number,
): (Input | TestingMarker)[] {
  const at = new Set<number>();
  while (at.size < count) at.add(1 + Math.floor(next() * (items.length - 1)));
  const out: (Input | TestingMarker)[] = [];
  items.forEach((item, i) => {
    if (at.has(i)) out.push(TestingSource.ABORT);
    out.push(item);
  });
  return out;
}

/** Where the store's input position says a run resumes, and the time the ticks before it made. */
function resumeTime(
  store: MemoryRecoveryStore,
  flowId: string,
  items: readonly (Input | TestingMarker)[],
): number {
  const resume = store.resumePoint();
  const bytes = resume.rows.get(`${flowId}.inp`)?.get("testing");
  const position = bytes === undefined ? 0 : decodeValue(bytes) as number;
  let time = 0;
  for (const item of items.slice(0, position)) if (typeof item === "number") time += item;
  return time;
}

interface CrashRun {
  /** The sink file after the last run. */
  content: string;
  /** How many runs it took. */
  runs: number;
  /** The worker count of each run. */
  workers: number[];
}

/** Runs `build` over `items` with no crash, on one worker. */
async function cleanRun(build: BuildFlow, items: readonly Input[], dir: string): Promise<string> {
  const path = `${dir}/clean.txt`;
  const harness: Harness = { time: new TestingTime(0) };
  const flow = build(new TestingSource<Input>(items), harness, new FileSink(path));
  await run(flow, { time: harness.time, epochInterval: EPOCH });
  return await readFile(path, "utf8");
}

/**
 * Runs `build` over `items` with `aborts` ABORT markers at random places,
 * resuming after each with the next worker count of `cycle`.
 */
async function crashingRun(
  build: BuildFlow,
  items: readonly Input[],
  dir: string,
  options: { seed: number; aborts: number; cycle?: readonly number[]; downtime?: number },
): Promise<CrashRun> {
  const path = `${dir}/crashed_${options.seed}.txt`;
  const marked = withAborts(items, options.aborts, random(options.seed));
  const harness: Harness = { time: new TestingTime(0) };
  const source = new TestingSource<Input>(marked);
  const flow = build(source, harness, new FileSink(path));
  const store = new MemoryRecoveryStore();
  const cycle = options.cycle ?? WORKER_CYCLE;
  const workers: number[] = [];
  for (let runs = 1;; runs++) {
    const start = resumeTime(store, flow.id, marked);
    harness.time = new TestingTime(start + (runs > 1 ? options.downtime ?? 0 : 0));
    const count = cycle[(runs - 1) % cycle.length]!;
    workers.push(count);
    const runOptions: RunOptions = {
      time: harness.time,
      epochInterval: EPOCH,
      workers: count,
      recovery: { store },
    };
    try {
      await run(flow, runOptions);
    } catch (error) {
      assert.match(String((error as Error).cause ?? error), /TestingSource aborted/);
      continue;
    }
    return { content: await readFile(path, "utf8"), runs, workers };
  }
}

// Node 20 has no Array.fromAsync.
async function toArray<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const sortedLines = (text: string) => text.split("\n").filter((line) => line !== "").sort();

/** Checks that every crashing run over `items` ends with the clean run's lines. */
async function checkCrashes(
  build: BuildFlow,
  items: readonly Input[],
  seeds: readonly number[],
  aborts: number,
): Promise<void> {
  await withTempDir(async (dir) => {
    const clean = await cleanRun(build, items, dir);
    assert.notEqual(clean, "");
    for (const seed of seeds) {
      const crashed = await crashingRun(build, items, dir, { seed, aborts });
      // Every marker fired once, in its own run.
      assert.equal(crashed.runs, aborts + 1, `seed ${seed}`);
      assert.deepEqual(sortedLines(crashed.content), sortedLines(clean), `seed ${seed}`);
    }
  });
}

// --- inputs -----------------------------------------------------------------

/** Lines of words, a tick after every few lines. */
function lines(seed: number, count: number): Input[] {
  const next = random(seed);
  const words = ["ant", "bee", "cat", "dog", "eel", "fox", "gnu", "hen"];
  const items: Input[] = [];
  for (let i = 0; i < count; i++) {
    const n = 1 + Math.floor(next() * 4);
    items.push(Array.from({ length: n }, () => words[Math.floor(next() * words.length)]).join(" "));
    if (next() < 0.3) items.push(EPOCH);
  }
  return items;
}

/** Timed events of a few keys: mostly in order, some a little out of order, some far too old. */
function events(seed: number, count: number): Input[] {
  const next = random(seed);
  const items: Input[] = [];
  let at = 1_000_000;
  for (let i = 0; i < count; i++) {
    at += Math.floor(next() * 1_500);
    const roll = next();
    // Within the clock's 5 s wait: never late. A minute back: always late.
    const time = roll < 0.15 ? at - 2_000 : roll < 0.2 ? at - 60_000 : at;
    items.push({ k: `k${Math.floor(next() * 4)}`, at: time });
    if (next() < 0.3) items.push(EPOCH);
  }
  return items;
}

// --- flows ------------------------------------------------------------------

const wordcount: BuildFlow = (source, harness, sink) => {
  const flow = new Dataflow("wc");
  ticking(flow.input("inp", source), harness)
    .flatMap("split", (line) => (line as string).split(" "))
    .countFinal("count", (word) => word)
    .map("format", ([word, n]) => ["all", `${word} ${n}`] as [string, string])
    .output("out", sink);
  return flow;
};

const windowedCountIn = (scope: "key" | "partition"): BuildFlow => (source, harness, sink) => {
  type Event = { k: string; at: number };
  const flow = new Dataflow(`win_${scope}`);
  const counts = ticking(flow.input("inp", source), harness)
    .map("event", (item) => item as Event)
    .countWindow("count", (event) => event.k, {
      clock: EventClock((event: Event) => event.at, { waitForSystemDuration: 5_000 }),
      windower: TumblingWindower({ length: 10_000, alignTo: 0 }),
      watermarkScope: scope,
    });
  counts.down
    .map("format", ([key, [id, n]]) => ["all", `${key} ${id} ${n}`] as [string, string])
    .merge(
      "all",
      counts.late.map(
        "late",
        ([key, [id, event]]) => ["all", `late ${key} ${id} ${event.at}`] as [string, string],
      ),
    )
    .output("out", sink);
  return flow;
};

const windowedCount = windowedCountIn("key");

// A window with its own logic: a stateful step, not the built-in fold.
const genericWindow = (scope: "key" | "partition"): BuildFlow => (source, harness, sink) => {
  type Event = { k: string; at: number };
  const flow = new Dataflow(`gen_${scope}`);
  const out = ticking(flow.input("inp", source), harness)
    .map("event", (item) => item as Event)
    .keyOn("key", (event) => event.k)
    .window<Event, number, number>("sum", (resume) => {
      let count = resume ?? 0;
      return {
        onValue: () => (count++, []),
        onMerge: () => [],
        onClose: () => [count],
        snapshot: () => count,
      };
    }, {
      clock: EventClock((event: Event) => event.at, { waitForSystemDuration: 5_000 }),
      windower: TumblingWindower({ length: 10_000, alignTo: 0 }),
      watermarkScope: scope,
    });
  out.down
    .map("format", ([key, [id, n]]) => ["all", `${key} ${id} ${n}`] as [string, string])
    .merge(
      "all",
      out.late.map(
        "late",
        ([key, [id, event]]) => ["all", `late ${key} ${id} ${event.at}`] as [string, string],
      ),
    )
    .output("out", sink);
  return flow;
};

// The windows alone, in the order they close: one stream into the file, no merge
// whose interleaving would depend on scheduling.
const windowedDown: BuildFlow = (source, harness, sink) => {
  type Event = { k: string; at: number };
  const flow = new Dataflow("down");
  ticking(flow.input("inp", source), harness)
    .map("event", (item) => item as Event)
    .countWindow("count", (event) => event.k, {
      clock: EventClock((event: Event) => event.at, { waitForSystemDuration: 5_000 }),
      windower: TumblingWindower({ length: 10_000, alignTo: 0 }),
    }).down
    .map("format", ([key, [id, n]]) => ["all", `${key} ${id} ${n}`] as [string, string])
    .output("out", sink);
  return flow;
};

const collected: BuildFlow = (source, harness, sink) => {
  const flow = new Dataflow("col");
  ticking(flow.input("inp", source), harness)
    .map("pair", (item) => item as [string, number])
    .collect("lists", { maxSize: 4, timeout: 10 * EPOCH })
    .map("format", ([key, values]) => ["all", `${key} ${values.join(",")}`] as [string, string])
    .output("out", sink);
  return flow;
};

const joined: BuildFlow = (source, harness, sink) => {
  const flow = new Dataflow("join");
  const { trues, falses } = ticking(flow.input("inp", source), harness)
    .map("pair", (item) => item as [string, string])
    .branch("side", ([side]) => side === "L");
  const left = trues.map("left", ([, kv]) => kv.split("=") as [string, string]);
  const right = falses.map("right", ([, kv]) => kv.split("=") as [string, string]);
  left.join("rows", right, { insertMode: "product", emitMode: "final" })
    .map("format", ([key, row]) => ["all", `${key} ${row.join("|")}`] as [string, string])
    .output("out", sink);
  return flow;
};

// --- tests ------------------------------------------------------------------

Deno.test("recovery: wordcount aborted at random points and resumed on 4, 3, 1, 2 workers counts every word once", async () => {
  await checkCrashes(wordcount, lines(1, 300), [11, 12, 13, 14], 6);
});

Deno.test("recovery: an event-clock windowed count resumed after random aborts gives the clean run's windows and late items", async () => {
  await checkCrashes(windowedCount, events(2, 300), [21, 22, 23, 24], 6);
});

Deno.test("recovery: collect with a timeout resumed after random aborts gives the clean run's lists", async () => {
  // Each key bursts 1 to 6 values every 20 ticks: lists end by size or by the
  // 10-tick timeout. On one worker: with several logical workers, the worker
  // reading the input moves the run's time on ahead of the others, so where a
  // timeout lands depends on scheduling even in a run that never crashes.
  const next = random(3);
  const items: Input[] = [];
  let n = 0;
  for (let tick = 0; tick < 120; tick++) {
    items.push(EPOCH);
    for (let key = 0; key < 5; key++) {
      if ((tick + key * 4) % 20 !== 0) continue;
      const burst = 1 + Math.floor(next() * 6);
      for (let i = 0; i < burst; i++) items.push([`k${key}`, n++]);
    }
  }
  await withTempDir(async (dir) => {
    const clean = await cleanRun(collected, items, dir);
    for (const seed of [31, 32, 33, 34]) {
      const crashed = await crashingRun(collected, items, dir, { seed, aborts: 6, cycle: [1] });
      assert.equal(crashed.runs, 7, `seed ${seed}`);
      assert.equal(crashed.content, clean, `seed ${seed}`);
    }
  });
});

Deno.test("recovery: a join resumed after random aborts emits the clean run's rows", async () => {
  const next = random(4);
  const items: Input[] = [];
  for (let i = 0; i < 200; i++) {
    items.push([next() < 0.5 ? "L" : "R", `k${Math.floor(next() * 6)}=${i}`]);
    if (next() < 0.3) items.push(EPOCH);
  }
  await checkCrashes(joined, items, [41, 42, 43, 44], 6);
});

Deno.test("recovery: FileSink output on one worker is byte-identical after resumes", async () => {
  await withTempDir(async (dir) => {
    const items = events(5, 200);
    const clean = await cleanRun(windowedDown, items, dir);
    for (const seed of [51, 52]) {
      const crashed = await crashingRun(windowedDown, items, dir, { seed, aborts: 5, cycle: [1] });
      assert.equal(crashed.runs, 6);
      assert.equal(crashed.content, clean);
    }
  });
});

Deno.test("recovery: an event clock's watermark does not move while the run is down", async () => {
  // Built-in windows (a keyed fold) and a window with its own logic (a
  // stateful step), each with a watermark per key and per partition: resumed
  // an hour later, the items read again are not late.
  await withTempDir(async (dir) => {
    const items = events(6, 200);
    const builds = [
      windowedCount,
      windowedCountIn("partition"),
      genericWindow("key"),
      genericWindow("partition"),
    ];
    for (const build of builds) {
      const clean = await cleanRun(build, items, dir);
      const crashed = await crashingRun(build, items, dir, {
        seed: 61,
        aborts: 4,
        cycle: [1],
        downtime: 3_600_000,
      });
      assert.equal(crashed.runs, 5);
      // Late items among them: every line the same, in any order (two streams merge).
      assert.deepEqual(sortedLines(crashed.content), sortedLines(clean));
    }
  });
});

Deno.test("recovery: timers that came due while the run was down fire before the next input", async () => {
  const store = new MemoryRecoveryStore();
  const out: string[] = [];
  const harness: Harness = { time: new TestingTime(0) };
  const flow = new Dataflow("due");
  ticking(
    flow.input("inp", new TestingSource<Input>([["a", 1], EPOCH, TestingSource.ABORT, ["a", 2]])),
    harness,
  )
    .map("pair", (item) => item as [string, number])
    .collect("lists", { maxSize: 10, timeout: 1_000 })
    .map("format", ([key, values]) => `${key} ${values.join(",")}`)
    .output("out", new TestingSink(out));
  const options = () => ({ time: harness.time, epochInterval: EPOCH, recovery: { store } });
  await assert.rejects(run(flow, options()), /TestingSource aborted/);
  assert.equal(store.committed, 1);
  assert.deepEqual(out, []);
  // Back five seconds later: "a"'s list timed out meanwhile, before ["a", 2] is read.
  harness.time = new TestingTime(EPOCH + 5_000);
  await run(flow, options());
  assert.deepEqual(out, ["a 1", "a 2"]);
});

Deno.test("recovery: a run after a clean end of input goes on with what was appended", async () => {
  await withTempDir(async (dir) => {
    const input = `${dir}/in.txt`;
    const output = `${dir}/out.txt`;
    await writeFile(input, "a b\nb c\n");
    const store = new MemoryRecoveryStore();
    const flow = new Dataflow("wc");
    flow.input("inp", new FileSource(input))
      .flatMap("split", (line) => line.split(" "))
      .countFinal("count", (word) => word)
      .map("format", ([word, n]) => ["all", `${word} ${n}`] as [string, string])
      .output("out", new FileSink(output));
    await run(flow, { recovery: { store } });
    assert.equal(await readFile(output, "utf8"), "a 1\nb 2\nc 1\n");
    const first = store.committed;
    await appendFile(input, "c d\n");
    await run(flow, { recovery: { store } });
    // The counts restored, only the new line read, and the totals written over the old ones.
    assert.equal(await readFile(output, "utf8"), "a 1\nb 2\nc 2\nd 1\n");
    // Epochs went on from the last committed one.
    assert.ok(store.committed > first, `${store.committed} > ${first}`);
  });
});

Deno.test("recovery: a source's position is the one after its last completed read, not one a pending read moved", async () => {
  const time = new TestingTime(0);
  let release: (() => void) | undefined;
  // Each read moves the position first, then waits: as a file reader does.
  const source: FixedPartitionedSource<string, number> = {
    listParts: () => ["p"],
    buildPart: (_step, _part, resume) => {
      let position = resume ?? 0;
      return {
        nextBatch() {
          const at = position++;
          if (at === 0) return ["first"];
          if (at >= 2) return null;
          return new Promise<string[]>((resolve) => release = () => resolve(["second"]));
        },
        snapshot: () => position,
      };
    },
  };
  const store = new MemoryRecoveryStore();
  const written: [number, string, unknown][] = [];
  const write = store.write.bind(store);
  store.write = (epoch, rows) => {
    for (const row of rows) {
      if (row.step === "pos.inp") written.push([epoch, row.key, decodeValue(row.state!)]);
    }
    return write(epoch, rows);
  };
  const flow = new Dataflow("pos");
  flow.input("inp", source).output("out", new TestingSink());
  const done = run(flow, { time, epochInterval: EPOCH, recovery: { store } });
  while (release === undefined) await new Promise((resolve) => setTimeout(resolve, 1));
  // Epoch 1 ends while the second read is pending: its position is 1, after "first".
  time.advance(EPOCH);
  while (written.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  release();
  await done;
  assert.deepEqual(written, [[1, "p", 1], [2, "p", 3]]);
});

Deno.test("recovery: inputs that cannot rewind are refused unless allowed", async () => {
  for (const input of [["a"], { build: () => ({ nextBatch: () => null }) }]) {
    const store = new MemoryRecoveryStore();
    const out: string[] = [];
    const flow = new Dataflow("plain");
    flow.input("inp", input as Iterable<string>).output("out", new TestingSink(out));
    await assert.rejects(run(flow, { recovery: { store } }), {
      name: "TypeError",
      message: /input step "plain\.inp" reads a source that cannot rewind.*allowNonReplayable/,
    });
    // Refused before the store was opened: it is still free.
    assert.equal(store.flowId, undefined);
    await run(flow, { recovery: { store, allowNonReplayable: true } });
    assert.deepEqual(out, Array.isArray(input) ? ["a"] : []);
  }
});

Deno.test("recovery: iterate() snapshots and resumes as run() does", async () => {
  const store = new MemoryRecoveryStore();
  const harness: Harness = { time: new TestingTime(0) };
  const flow = new Dataflow("it");
  const counts = ticking(
    flow.input("inp", new TestingSource<Input>(["a", "b", EPOCH, "a", TestingSource.ABORT, "b"])),
    harness,
  ).countFinal("count", (word) => word as string);
  const options = () => ({ time: harness.time, epochInterval: EPOCH, recovery: { store } });
  await assert.rejects(toArray(iterate(counts, options())), /TestingSource aborted/);
  assert.equal(store.committed, 1);
  harness.time = new TestingTime(EPOCH);
  assert.deepEqual(await toArray(iterate(counts, options())), [["a", 2], ["b", 2]]);
});

Deno.test("recovery: state that the codec cannot carry fails the run, naming the step and key", async () => {
  const store = new MemoryRecoveryStore();
  const harness: Harness = { time: new TestingTime(0) };
  const flow = new Dataflow("bad");
  ticking(flow.input("inp", new TestingSource<Input>(["a", EPOCH, "b"])), harness)
    .keyOn("key", (item) => item as string)
    .statefulMap("fn", (_state: unknown, _value) => [() => 1, 1])
    .output("out", new TestingSink());
  await assert.rejects(
    run(flow, { time: harness.time, epochInterval: EPOCH, recovery: { store } }),
    { name: "TypeError", message: /Cannot snapshot step "bad\.fn": key "a", state is a function/ },
  );
  assert.equal(store.committed, 0);
});

Deno.test("recovery: TestingSource.ABORT fires once per run generation, not once per source object", async () => {
  // A new flow and source object for every run, as a restarted process builds them.
  const items: Input[] = lines(7, 60);
  const marked = withAborts(items, 4, random(71));
  const store = new MemoryRecoveryStore();
  await withTempDir(async (dir) => {
    const clean = await cleanRun(wordcount, items, dir);
    const path = `${dir}/out.txt`;
    let runs = 0;
    while (true) {
      runs++;
      const harness: Harness = { time: new TestingTime(resumeTime(store, "wc", marked)) };
      const flow = wordcount(new TestingSource<Input>(marked), harness, new FileSink(path));
      try {
        await run(flow, { time: harness.time, epochInterval: EPOCH, recovery: { store } });
        break;
      } catch (error) {
        assert.match(String((error as Error).message), /TestingSource aborted/);
        assert.ok(runs <= 4, `run ${runs} failed again`);
      }
    }
    assert.equal(runs, 5);
    assert.equal(await readFile(path, "utf8"), clean);
  });
});

Deno.test("recovery: a partition-scope watermark comes back for keys the resumed run has not seen", async () => {
  // "b" first shows up after the resume, far behind the watermark "a" moved: late, as in a
  // run that never stopped, only if the worker's shared clock was restored.
  const items: Input[] = [{ k: "a", at: 100_000 }, EPOCH, { k: "b", at: 50_000 }];
  const marked = [...items.slice(0, 2), TestingSource.ABORT, items[2]!];
  for (const build of [windowedCountIn("partition"), genericWindow("partition")]) {
    await withTempDir(async (dir) => {
      const clean = await cleanRun(build, items, dir);
      assert.deepEqual(sortedLines(clean), ["a 10 1", "late b 5 50000"]);
      const path = `${dir}/out.txt`;
      const harness: Harness = { time: new TestingTime(0) };
      const flow = build(new TestingSource<Input>(marked), harness, new FileSink(path));
      const store = new MemoryRecoveryStore();
      const options = () => ({ time: harness.time, epochInterval: EPOCH, recovery: { store } });
      await assert.rejects(run(flow, options()), /TestingSource aborted/);
      assert.equal(store.committed, 1);
      harness.time = new TestingTime(EPOCH);
      await run(flow, options());
      assert.deepEqual(sortedLines(await readFile(path, "utf8")), sortedLines(clean));
    });
  }
});

Deno.test("recovery: a stored state that does not decode fails the resume, naming the step and key", async () => {
  const store = new MemoryRecoveryStore();
  await store.open("wc");
  await store.write(1, [{ step: "wc.count.sum", key: "ant", state: new Uint8Array([0x1c]) }]);
  await store.commit(1);
  await store.close();
  const flow = wordcount(new TestingSource<Input>(["ant"]), { time: new TestingTime(0) }, {
    listParts: () => ["all"],
    buildPart: () => ({ writeBatch: () => {}, snapshot: () => 0 }),
  } as unknown as FileSink);
  await assert.rejects(run(flow, { recovery: { store } }), {
    message: 'Cannot resume step "wc.count.sum": the stored state of key "ant" is corrupt',
  });
});

Deno.test("recovery: a failed write stops the run with its error, and nothing is committed", async () => {
  const store = new MemoryRecoveryStore();
  store.write = () => Promise.reject(new Error("disk full"));
  const harness: Harness = { time: new TestingTime(0) };
  const flow = new Dataflow("full");
  ticking(
    flow.input("inp", new TestingSource<Input>(["a", EPOCH, TestingSource.PAUSE(1e9)])),
    harness,
  )
    .keyOn("key", (item) => item as string)
    .statefulMap("n", (n: number | undefined) => [(n ?? 0) + 1, n])
    .output("out", new TestingSink());
  await assert.rejects(
    run(flow, { time: harness.time, epochInterval: EPOCH, recovery: { store } }),
    { message: "disk full" },
  );
  assert.equal(store.committed, 0);
});
