import assert from "node:assert/strict";
import {
  Dataflow,
  EventClock,
  type KeyedStream,
  run,
  SessionWindower,
  SlidingWindower,
  SystemClock,
  TumblingWindower,
  type Windower,
  type WindowMetadata,
  type WindowOut,
} from "../../mod.ts";
import { TestingSink, TestingSource, TestingTime } from "../../connectors/testing.ts";
import { type WindowTimeline, windowTimeline } from "./window_timeline.ts";

const T0 = Date.UTC(2023, 0, 1);
type Ev = { at: number; v: number };
const ev = (key: string, s: number, v = s): [string, Ev] => [key, { at: T0 + s * 1000, v }];
const clockOf = (waitSeconds: number) =>
  EventClock((e: Ev) => e.at, { waitForSystemDuration: waitSeconds * 1000 });

interface Collected<V, W> {
  down: [string, [number, W]][];
  late: [string, [number, V]][];
  meta: [string, [number, WindowMetadata]][];
}

async function collect<V, W>(
  items: [string, V][] | TestingSource<[string, V]>,
  make: (up: KeyedStream<V>) => WindowOut<V, W>,
): Promise<Collected<V, W>> {
  const out: Collected<V, W> = { down: [], late: [], meta: [] };
  const flow = new Dataflow("f");
  const windows = make(flow.input("inp", items));
  windows.down.output("down", new TestingSink(out.down));
  windows.late.output("late", new TestingSink(out.late));
  windows.meta.output("meta", new TestingSink(out.meta));
  await run(flow, { time: new TestingTime(T0) });
  return out;
}

// Sums per window, the way most tests here use windows.
function sums(items: [string, Ev][], waitSeconds: number, windower: Windower, ordered = true) {
  return collect<Ev, number>(
    items,
    (up) =>
      up.foldWindow("sum", () => 0, (s, e) => s + e.v, {
        clock: clockOf(waitSeconds),
        windower,
        merger: (a, b) => a + b,
        ordered,
      }),
  );
}

// --- a tiny XML reader: fails on unbalanced tags or stray `&` and `<` ---

interface Node {
  readonly name: string;
  readonly attrs: Record<string, string>;
  readonly children: Node[];
  text: string;
}

function decode(text: string): string {
  return text.replace(/&([^;]*);?/g, (all, body: string) => {
    if (!all.endsWith(";")) throw new Error(`stray & in ${JSON.stringify(text)}`);
    if (/^#\d+$/.test(body)) return String.fromCodePoint(Number(body.slice(1)));
    const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
    if (body in named) return named[body]!;
    throw new Error(`unknown entity &${body};`);
  });
}

function parse(svg: string): Node {
  const root: Node = { name: "#root", attrs: {}, children: [], text: "" };
  const stack = [root];
  const token = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/y;
  let at = 0;
  while (at < svg.length) {
    token.lastIndex = at;
    const m = token.exec(svg);
    if (m === null) throw new Error(`not XML at ${at}: ${svg.slice(at, at + 40)}`);
    at = token.lastIndex;
    const top = stack.at(-1)!;
    if (m[5] !== undefined) {
      top.text += decode(m[5]);
    } else if (m[1] === "/") {
      assert.equal(stack.pop()!.name, m[2], "closing tag matches");
    } else {
      const attrs: Record<string, string> = {};
      for (const [, name, value] of m[3]!.matchAll(/([\w:-]+)="([^"]*)"/g)) {
        attrs[name!] = decode(value!);
      }
      const node: Node = { name: m[2]!, attrs, children: [], text: "" };
      top.children.push(node);
      if (m[4] !== "/") stack.push(node);
    }
  }
  assert.equal(stack.length, 1, "every tag is closed");
  assert.equal(root.children.length, 1);
  return root.children[0]!;
}

function all(node: Node, cls: string): Node[] {
  const found: Node[] = [];
  const walk = (n: Node) => {
    if ((n.attrs.class ?? "").split(" ").includes(cls)) found.push(n);
    n.children.forEach(walk);
  };
  walk(node);
  return found;
}

const child = (node: Node, name: string) => node.children.find((c) => c.name === name)!;
const num = (node: Node, attr: string) => Number(node.attrs[attr]);

// The x scale, read back from two axis ticks.
function scaleOf(root: Node): (t: number) => number {
  const ticks = all(root, "rn-tick");
  assert.ok(ticks.length >= 2, "at least two ticks");
  const [a, b] = [ticks[0]!, ticks.at(-1)!];
  const [ta, tb] = [num(a, "data-time"), num(b, "data-time")];
  const [xa, xb] = [num(a, "x"), num(b, "x")];
  return (t) => xa + (t - ta) / (tb - ta) * (xb - xa);
}

function near(actual: number, expected: number, what: string) {
  assert.ok(Math.abs(actual - expected) <= 0.2, `${what}: ${actual} is not near ${expected}`);
}

// The watermark's points: `[x, y]` per drawn item row.
function watermarkPoints(root: Node): [number, number][] {
  const [line] = all(root, "rn-watermark");
  return line!.attrs["data-points"]!.split(" ").map((p) => p.split(",").map(Number)) as [
    number,
    number,
  ][];
}

// --- the seed example ---

const seedEvents = [
  { user: "123", value: 5, time: "2023-01-01T00:00:00Z" },
  { user: "123", value: 7, time: "2023-01-01T00:00:01Z" },
  { user: "123", value: 2, time: "2023-01-01T00:00:07Z" },
];
type Seed = (typeof seedEvents)[number];
const seedClock = EventClock((e: Seed) => new Date(e.time), { waitForSystemDuration: 10_000 });

async function seedTimeline(): Promise<WindowTimeline> {
  const items = seedEvents.map((e) => [e.user, e] as [string, Seed]);
  const { down, late, meta } = await collect<Seed, number>(items, (up) => {
    const w = up.collectWindow("collect", {
      clock: seedClock,
      windower: TumblingWindower({ length: 5_000, alignTo: new Date("2023-01-01T00:00:00Z") }),
    });
    return {
      ...w,
      down: w.down.mapValue(
        "avg",
        ([id, es]) => [id, es.reduce((s, e) => s + e.value, 0) / es.length],
      ),
    };
  });
  assert.deepEqual(down, [["123", [0, 6]], ["123", [1, 2]]]);
  return windowTimeline(items, { down, late, meta }, { clock: seedClock, title: "averages" });
}

Deno.test("windowTimeline() draws the seed example: three dots, none late, windows averaging 6 and 2", async () => {
  const root = parse((await seedTimeline()).svg);
  const x = scaleOf(root);

  const dots = all(root, "rn-item");
  assert.deepEqual(dots.map((d) => num(d, "data-time")), [T0, T0 + 1000, T0 + 7000]);
  assert.deepEqual(dots.map((d) => d.attrs["data-arrival"]), ["1", "2", "3"]);
  assert.equal(all(root, "rn-late").length, 0);
  for (const dot of dots) near(num(child(dot, "circle"), "cx"), x(num(dot, "data-time")), "dot x");

  const bands = all(root, "rn-window");
  assert.deepEqual(bands.map((b) => all(b, "rn-window-label")[0]!.text), ["#0: 6", "#1: 2"]);
  const rects = bands.map((b) => child(b, "rect"));
  near(num(rects[0]!, "x"), x(T0), "window 0 opens at 00:00:00");
  near(num(rects[0]!, "x") + num(rects[0]!, "width"), x(T0 + 5000), "window 0 closes at :05");
  near(num(rects[1]!, "x"), x(T0 + 5000), "window 1 opens at :05");
  near(num(rects[1]!, "x") + num(rects[1]!, "width"), x(T0 + 10000), "window 1 closes at :10");
  assert.equal(rects[0]!.attrs.y, rects[1]!.attrs.y, "tumbling windows share a tier");

  // The watermark trails the largest timestamp by the 10 s wait: −10 s, −9 s, −3 s.
  const points = watermarkPoints(root);
  assert.equal(points.length, 3);
  [-10_000, -9_000, -3_000].forEach((offset, i) => {
    near(points[i]![0], x(T0 + offset), `watermark after item ${i + 1}`);
    near(points[i]![1], num(child(dots[i]!, "circle"), "cy"), `watermark row ${i + 1}`);
  });
  assert.deepEqual(dots.map((d) => num(d, "data-watermark")), [
    T0 - 10_000,
    T0 - 9_000,
    T0 - 3_000,
  ]);
  assert.match(root.text + all(root, "rn-tick").map((t) => t.text).join(" "), /00:00:05/);
});

Deno.test("windowTimeline() marks items before the watermark late, as the run did", async () => {
  const items = [ev("k", 1), ev("k", 12), ev("k", 6), ev("k", 2), ev("k", 7)];
  const out = await sums(items, 5, TumblingWindower({ length: 5000, alignTo: T0 }));
  assert.equal(out.late.length, 2);
  const root = parse(windowTimeline(items, out, { clock: clockOf(5) }).svg);
  const x = scaleOf(root);

  const late = all(root, "rn-late");
  assert.deepEqual(late.map((d) => num(d, "data-time")), [T0 + 6000, T0 + 2000]);
  // Each dot sits left of the watermark on its row exactly when it is late.
  const points = watermarkPoints(root);
  all(root, "rn-item").forEach((dot, i) => {
    const cx = num(child(dot, "circle"), "cx");
    const isLate = (dot.attrs.class ?? "").includes("rn-late");
    assert.equal(cx < points[i]![0], isLate, `item ${i + 1}`);
  });
  near(points[4]![0], x(T0 + 7000), "watermark after 12 s is 7 s");
  // A late mark is a hollow circle with a cross and a line to the watermark.
  const mark = late[0]!;
  assert.equal(child(mark, "circle").attrs.fill, "#fff");
  assert.ok(child(mark, "path").attrs.d!.includes("M"));
  near(num(child(mark, "line"), "x2"), x(T0 + 7000), "late line ends at the watermark");
  assert.match(child(mark, "title").text, /late by 1 s/);
  assert.deepEqual(
    all(root, "rn-window-label").map((l) => l.text),
    ["#0: 1", "#1: 7", "#2: 12"],
  );
});

Deno.test("windowTimeline() rejects a clock that disagrees with the run's late output", async () => {
  const items = [ev("k", 1), ev("k", 12), ev("k", 6)];
  const out = await sums(items, 5, TumblingWindower({ length: 5000, alignTo: T0 }));
  assert.throws(
    () => windowTimeline(items, out, { clock: clockOf(20) }),
    (e: unknown) =>
      e instanceof RangeError &&
      /outputs\.late has .*"at":1672531206000.* for key "k"/.test(e.message),
  );
  const early = await sums(items, 20, TumblingWindower({ length: 5000, alignTo: T0 }));
  assert.throws(
    () => windowTimeline(items, early, { clock: clockOf(5) }),
    /replaying the clock finds items\[2\] .* late, but outputs.late does not have it/,
  );
});

Deno.test("windowTimeline() draws session windows with their own extents and merges", async () => {
  // In arrival order, 0 and 10 open two sessions, 5 bridges them (gap 5 s),
  // and 30 is a session of one item.
  const items = [ev("u", 0), ev("u", 10), ev("u", 5), ev("u", 30)];
  const out = await sums(items, 60, SessionWindower({ gap: 5000 }), false);
  const root = parse(windowTimeline(items, out, { clock: clockOf(60) }).svg);
  const x = scaleOf(root);
  const bands = all(root, "rn-window");
  assert.deepEqual(
    bands.map((b) => [b.attrs["data-window"], num(b, "data-open"), num(b, "data-close")]),
    [["0", T0, T0 + 10_000], ["2", T0 + 30_000, T0 + 30_000]],
  );
  const wide = child(bands[0]!, "rect");
  near(num(wide, "x"), x(T0), "session opens at its first item");
  near(num(wide, "x") + num(wide, "width"), x(T0 + 10_000), "and closes at its last");
  assert.match(child(bands[0]!, "title").text, /merged sessions 1/);
  assert.equal(all(bands[0]!, "rn-window-label")[0]!.text, "#0: 15");
  // A one-item session is a thin band, labelled beside it.
  const thin = child(bands[1]!, "rect");
  assert.equal(num(thin, "width"), 4);
  const label = all(bands[1]!, "rn-window-label")[0]!;
  assert.equal(label.text, "#2: 30");
  assert.ok(num(label, "x") > num(thin, "x") + 4 || num(label, "x") < num(thin, "x"));
});

Deno.test("windowTimeline() draws values emitted into a session before it merged on the session it merged into", async () => {
  // 0 and 100 open sessions 0 and 1 (gap 60 ms); 50 bridges them and 1
  // merges into 0. The logic emits on every value, so session 1 emitted
  // before it merged, under an id that outputs.meta only lists as merged.
  const clock = EventClock((ms: number) => ms, { waitForSystemDuration: 1000 });
  const items: [string, number][] = [["k", 0], ["k", 100], ["k", 50]];
  const out = await collect<number, string>(items, (up) =>
    up.window("echo", () => ({
      onValue: (v: number) => [`saw ${v}`],
      onMerge: () => [],
      onClose: () => [],
      snapshot: () => null,
    }), { clock, windower: SessionWindower({ gap: 60 }), ordered: false }));
  assert.deepEqual(out.down, [["k", [0, "saw 0"]], ["k", [1, "saw 100"]], ["k", [0, "saw 50"]]]);
  assert.deepEqual(out.meta, [["k", [0, { openTime: 0, closeTime: 100, mergedIds: [1] }]]]);

  const root = parse(windowTimeline(items, out, { clock }).svg);
  const bands = all(root, "rn-window");
  assert.deepEqual(bands.map((b) => b.attrs["data-window"]), ["0"]);
  assert.equal(all(bands[0]!, "rn-window-label")[0]!.text, "#0: saw 0, saw 100, saw 50");
  assert.match(child(bands[0]!, "title").text, /merged sessions 1\n/);
  assert.match(
    child(bands[0]!, "title").text,
    /of which saw 100 under session 1, before it merged/,
  );

  // Metadata that contradicts itself about a merge is rejected.
  const twice: [string, [number, WindowMetadata]][] = [
    ...out.meta,
    ["k", [1, { openTime: 100, closeTime: 100, mergedIds: [] }]],
  ];
  assert.throws(
    () => windowTimeline(items, { down: out.down, meta: twice }, { clock }),
    /outputs.meta says window 1 of key "k" merged into window 0, but it closed on its own/,
  );
});

Deno.test("windowTimeline() stacks overlapping sliding windows on tiers", async () => {
  const items = [ev("k", 0), ev("k", 7), ev("k", 12)];
  const out = await sums(items, 0, SlidingWindower({ length: 10_000, offset: 5_000, alignTo: T0 }));
  const root = parse(windowTimeline(items, out, { clock: clockOf(0) }).svg);
  const bands = all(root, "rn-window");
  const tiers = new Map(bands.map((b) => [b.attrs["data-window"], child(b, "rect").attrs.y]));
  assert.deepEqual([...tiers.keys()], ["-1", "0", "1", "2"]);
  assert.notEqual(tiers.get("-1"), tiers.get("0"), "overlapping windows on two tiers");
  assert.equal(tiers.get("-1"), tiers.get("1"), "[−5, 5) and [5, 15) touch: one tier");
  assert.equal(tiers.get("0"), tiers.get("2"));
  assert.equal(new Set(tiers.values()).size, 2);
});

Deno.test("windowTimeline() gives each key a lane with its own watermark; options.keys picks lanes", async () => {
  const items = [ev("a", 0), ev("b", 20), ev("a", 5), ev("b", 1)];
  const out = await sums(items, 0, TumblingWindower({ length: 5000, alignTo: T0 }));
  const root = parse(windowTimeline(items, out, { clock: clockOf(0) }).svg);
  assert.deepEqual(all(root, "rn-lane").map((l) => l.attrs["data-key"]), ["a", "b"]);
  const [a, b] = all(root, "rn-lane");
  assert.deepEqual(all(a!, "rn-item").map((d) => d.attrs["data-arrival"]), ["1", "3"]);
  assert.deepEqual(all(b!, "rn-item").map((d) => d.attrs["data-arrival"]), ["2", "4"]);
  assert.equal(all(a!, "rn-late").length, 0, "a's watermark ignores b's items");
  assert.equal(all(b!, "rn-late").length, 1);

  const picked = parse(windowTimeline(items, out, { clock: clockOf(0), keys: ["b"] }).svg);
  assert.deepEqual(all(picked, "rn-lane").map((l) => l.attrs["data-key"]), ["b"]);
  assert.equal(all(picked, "rn-item").length, 2);
});

// Sums per 5 s window with no wait, the input handed over `batchSize` items
// at a time (a TestingSource), or as one batch (a list).
function sumsIn(
  items: [string, Ev][],
  batchSize: number | "list",
  watermarkScope: "key" | "partition",
) {
  return collect<Ev, number>(
    batchSize === "list" ? items : new TestingSource(items, { batchSize }),
    (up) =>
      up.foldWindow("sum", () => 0, (s, e) => s + e.v, {
        clock: clockOf(0),
        windower: TumblingWindower({ length: 5000, alignTo: T0 }),
        merger: (a, b) => a + b,
        watermarkScope,
      }),
  );
}

const lateTimes = (root: Node) => all(root, "rn-late").map((d) => num(d, "data-time"));
// The watermark after each item, in arrival order (the lanes group items by key).
const watermarksByArrival = (root: Node) =>
  all(root, "rn-item")
    .sort((a, b) => num(a, "data-arrival") - num(b, "data-arrival"))
    .map((d) => num(d, "data-watermark"));

Deno.test("windowTimeline() with watermarkScope partition replays each batch key by key, as the run does", async () => {
  // One item per batch: b at 20 s moves the shared watermark past a at 5 s.
  // One batch: the step takes a's items together, then b's, so a at 5 s is on time.
  const items = [ev("a", 0), ev("b", 20), ev("a", 5)];
  const partition = { clock: clockOf(0), watermarkScope: "partition" } as const;
  const single = await sumsIn(items, 1, "partition");
  assert.deepEqual(single.late, [["a", [1, items[2]![1]]]]);
  const list = await sumsIn(items, "list", "partition");
  assert.deepEqual(list.late, []);

  const byItem = parse(windowTimeline(items, single, partition).svg);
  assert.deepEqual(lateTimes(byItem), [T0 + 5000], "one item per batch by default");
  assert.deepEqual(
    watermarksByArrival(byItem),
    [T0, T0 + 20_000, T0 + 20_000],
  );
  const together = parse(windowTimeline(items, list, { ...partition, batchSize: 1024 }).svg);
  assert.deepEqual(lateTimes(together), []);
  // a's items before b's: the watermark after a at 5 s is 5 s, not 20 s.
  assert.deepEqual(
    watermarksByArrival(together),
    [T0, T0 + 20_000, T0 + 5000],
  );
  assert.deepEqual(
    lateTimes(parse(windowTimeline(items, list, { ...partition, batchSize: [3] }).svg)),
    [],
  );
  // The wrong batches disagree with the run's late output, and the error says what to pass.
  assert.throws(
    () => windowTimeline(items, list, partition),
    /replaying the clock finds items\[2\] .* late, but outputs.late does not have it; .*options.batchSize/,
  );
  assert.throws(
    () => windowTimeline(items, single, { ...partition, batchSize: Infinity }),
    /outputs.late has .* for key "a", but replaying the clock finds no such late item; .*options.batchSize/,
  );
});

Deno.test("windowTimeline() replays batches of several keys as the run does, in either watermark scope", async () => {
  const items = [ev("a", 0), ev("b", 20), ev("a", 5), ev("b", 1), ev("a", 30), ev("c", 12)];
  for (const scope of ["key", "partition"] as const) {
    for (const size of [1, 2, 4, "list"] as const) {
      const out = await sumsIn(items, size, scope);
      const batchSize = size === "list" ? 1024 : size;
      const root = parse(
        windowTimeline(items, out, { clock: clockOf(0), watermarkScope: scope, batchSize }).svg,
      );
      const late = out.late.map(([, [, e]]) => e.at);
      assert.deepEqual(lateTimes(root).sort(), late.sort(), `${scope} scope, batches of ${size}`);
    }
  }
  // With a watermark per key, the batches do not change an EventClock's picture.
  const picture = (batchSize: number) =>
    windowTimeline(items, { down: [], meta: [] }, { clock: clockOf(0), batchSize }).svg;
  assert.equal(picture(4), picture(1));
  assert.equal(picture(Infinity), picture(1));
});

Deno.test("windowTimeline() draws a joinWindow given its sides' items and options.join", async () => {
  // Waiting 5 s, left 2 s is late after left 10 s whichever side reaches the
  // join first; right 7 s is on time either way.
  const left = [ev("k", 10), ev("k", 2)];
  const right = [ev("k", 7, 70)];
  const out: Collected<[number, Ev], unknown[]> = { down: [], late: [], meta: [] };
  const flow = new Dataflow("f");
  const joined = flow.input("left", left).joinWindow("join", [flow.input("right", right)], {
    clock: clockOf(5),
    windower: TumblingWindower({ length: 20_000, alignTo: T0 }),
  });
  joined.down.output("down", new TestingSink(out.down));
  joined.late.output("late", new TestingSink(out.late));
  joined.meta.output("meta", new TestingSink(out.meta));
  await run(flow, { time: new TestingTime(T0) });
  assert.deepEqual(out.late, [["k", [0, [0, left[1]![1]]]]], "late items carry their side");
  assert.deepEqual(out.down, [["k", [0, [left[0]![1], right[0]![1]]]]]);

  for (const items of [[...left, ...right], [...right, ...left]]) {
    const root = parse(windowTimeline(items, out, { clock: clockOf(5), join: true }).svg);
    assert.deepEqual(lateTimes(root), [T0 + 2000]);
    assert.equal(all(root, "rn-item").length, 3);
    assert.deepEqual(all(root, "rn-window").map((b) => b.attrs["data-window"]), ["0"]);
    assert.match(all(root, "rn-window-label")[0]!.text, /^#0: \[\{"at":1672531210000,"v":10\}/);
  }
  // Without options.join, the [side, value] late items are named for what they are.
  assert.throws(
    () => windowTimeline([...left, ...right], out as never, { clock: clockOf(5) }),
    /outputs.late has \[0,\{"at":1672531202000,"v":2\}\] for key "k", which looks like a joinWindow's \[side, value\]; pass options.join: true/,
  );
  assert.throws(
    () =>
      windowTimeline([...left, ...right], { ...out, late: [["k", [0, 5]]] }, {
        clock: clockOf(5),
        join: true,
      }),
    /with options.join, outputs.late\[0\] must be \[key, \[windowId, \[side, value\]\]\], got \["k",\[0,5\]\]/,
  );
});

Deno.test("windowTimeline() with arrival times moves the watermark on with system time", () => {
  // Waiting 10 s: after the first item the watermark is −10 s; 20 s of system
  // time later it is +10 s, so an item at 1 s arriving then is late.
  const items = [ev("k", 0), ev("k", 1)];
  const arrivals = [T0, T0 + 20_000];
  const tl = windowTimeline(items, { down: [], meta: [] }, {
    clock: clockOf(10),
    arrival: (_item, i) => new Date(arrivals[i]!),
  });
  const dots = all(parse(tl.svg), "rn-item");
  assert.deepEqual(dots.map((d) => num(d, "data-watermark")), [T0 - 10_000, T0 + 10_000]);
  assert.deepEqual(dots.map((d) => d.attrs.class), ["rn-item", "rn-item rn-late"]);
  const still = windowTimeline(items, { down: [], meta: [] }, { clock: clockOf(10) });
  assert.equal(all(parse(still.svg), "rn-late").length, 0, "without arrival times nothing drifts");
});

Deno.test("windowTimeline() replays a batch at the latest arrival time of its items", () => {
  // Waiting 10 s: item 2 arrives 20 s after item 1, so on its own it is late;
  // in one batch with item 1 both arrive at its time, and it is on time.
  const items = [ev("k", 0), ev("k", 1)];
  const arrivals = [T0, T0 + 20_000];
  const arrival = (_item: unknown, i: number) => arrivals[i]!;
  const watermarks = (batchSize: number) =>
    all(
      parse(
        windowTimeline(items, { down: [], meta: [] }, { clock: clockOf(10), arrival, batchSize })
          .svg,
      ),
      "rn-item",
    ).map((d) => num(d, "data-watermark"));
  assert.deepEqual(watermarks(1), [T0 - 10_000, T0 + 10_000]);
  assert.deepEqual(watermarks(2), [T0 - 10_000, T0 - 9_000]);
});

Deno.test("windowTimeline() requires arrival times for a clock that stamps items with system time", async () => {
  // A SystemClock stamps both items with the run's time, T0.
  const items: [string, string][] = [["k", "a"], ["k", "b"]];
  const out = await collect<string, number>(
    items,
    (up) =>
      up.foldWindow("count", () => 0, (n) => n + 1, {
        clock: SystemClock(),
        windower: TumblingWindower({ length: 60_000, alignTo: T0 }),
        merger: (a, b) => a + b,
      }),
  );
  assert.deepEqual(out.down, [["k", [0, 2]]]);
  assert.throws(
    () => windowTimeline(items, out, { clock: SystemClock() }),
    (e: unknown) =>
      e instanceof TypeError &&
      /options.clock stamps items with the system time, as SystemClock does \(items\[0\] at 1970-01-01T00:00:00.000Z when replayed at 1970-01-01T00:00:00.000Z, at 2001-01-01T00:00:00.000Z .*\); pass options.arrival/
        .test(e.message),
  );
  const root = parse(
    windowTimeline(items, out, { clock: SystemClock(), arrival: () => new Date(T0) }).svg,
  );
  assert.deepEqual(all(root, "rn-item").map((d) => num(d, "data-time")), [T0, T0]);
  const [band] = all(root, "rn-window");
  assert.deepEqual([num(band!, "data-open"), num(band!, "data-close")], [T0, T0 + 60_000]);
  assert.equal(all(band!, "rn-window-label")[0]!.text, "#0: 2");
});

Deno.test("windowTimeline() displays inline in Jupyter and as a string", async () => {
  const tl = await seedTimeline();
  const bundle = (tl as unknown as Record<symbol, () => Record<string, string>>)[
    Symbol.for("Jupyter.display")
  ]!();
  assert.equal(bundle["image/svg+xml"], tl.svg);
  assert.equal(
    bundle["text/plain"],
    'windowTimeline "averages": 3 items (0 late), 2 windows, 1 key',
  );
  assert.equal(String(tl), tl.svg);
  assert.equal(`${tl}`, tl.svg);
  const root = parse(tl.svg);
  assert.equal(root.name, "svg");
  assert.equal(root.attrs.xmlns, "http://www.w3.org/2000/svg");
  assert.equal(num(root, "width"), tl.width);
  assert.equal(num(root, "height"), tl.height);
  assert.equal(root.attrs.viewBox, `0 0 ${tl.width} ${tl.height}`);
  assert.doesNotMatch(tl.svg, /\sid="|<style/, "no ids or styles to clash on a notebook page");
});

Deno.test("windowTimeline() escapes every text it draws", () => {
  const key = `<a href="x">&'\u0001`;
  const items: [string, Ev][] = [[key, { at: T0, v: 1 }]];
  const down: [string, [number, string]][] = [[key, [0, "</text><script>alert(1)</script>"]]];
  const meta: [string, [number, WindowMetadata]][] = [
    [key, [0, { openTime: T0, closeTime: T0 + 5000, mergedIds: [] }]],
  ];
  const svg = windowTimeline(items, { down, meta }, {
    clock: clockOf(0),
    title: `Q&A <b>"bold"</b>`,
    itemLabel: () => "<i>",
  }).svg;
  assert.doesNotMatch(svg, /<script|<b>|<i>|<a /);
  const root = parse(svg); // throws on a stray & or <
  const texts: string[] = [];
  const walk = (n: Node) => (texts.push(n.text), n.children.forEach(walk));
  walk(root);
  assert.ok(texts.includes(`Q&A <b>"bold"</b>`));
  assert.ok(texts.includes("<i>"));
  assert.equal(all(root, "rn-lane")[0]!.attrs["data-key"], `<a href="x">&'\uFFFD`);
  assert.match(all(root, "rn-window-label")[0]!.text, /^#0: <\/text><script>/);
});

Deno.test("windowTimeline() is deterministic: the same input gives the same bytes", async () => {
  const items = [ev("a", 0), ev("b", 3.3), ev("a", 7.25), ev("a", 1)];
  const out = await sums(items, 2, SlidingWindower({ length: 4000, offset: 1000, alignTo: T0 }));
  const first = windowTimeline(items, out, { clock: clockOf(2), title: "t" }).svg;
  const again = windowTimeline(structuredClone(items), structuredClone(out), {
    clock: clockOf(2),
    title: "t",
  }).svg;
  assert.equal(again, first);
  assert.doesNotMatch(first, /NaN|Infinity|undefined|-0[^.\d]/);
});

Deno.test("windowTimeline() keeps the chart on the data when the watermark trails far behind", () => {
  const items = [ev("k", 0), ev("k", 5), ev("k", 9)];
  const root = parse(windowTimeline(items, { down: [], meta: [] }, { clock: clockOf(3600) }).svg);
  const ticks = all(root, "rn-tick").map((t) => num(t, "data-time"));
  assert.ok(ticks.at(-1)! - ticks[0]! <= 20_000, "the axis spans seconds, not an hour");
  const left = Math.min(...ticks.map(scaleOf(root)));
  for (const [px] of watermarkPoints(root)) assert.ok(px <= left, "watermark pinned at the edge");
});

Deno.test("windowTimeline() draws times at the ends of the Date range on an axis within it", () => {
  const clock = EventClock((ms: number) => ms, { waitForSystemDuration: 0 });
  for (const at of [8.64e15 - 10, -8.64e15 + 10, 8.64e15]) {
    // Padding around one item would reach past what a Date can show.
    const root = parse(windowTimeline([["k", at]], { down: [], meta: [] }, { clock }).svg);
    const ticks = all(root, "rn-tick").map((t) => num(t, "data-time"));
    assert.ok(ticks.length >= 2, `ticks near ${at}`);
    for (const t of ticks) assert.ok(Math.abs(t) <= 8.64e15, `tick ${t} is a valid Date`);
    const [dot] = all(root, "rn-item");
    assert.equal(num(dot!, "data-time"), at);
    const cx = num(child(dot!, "circle"), "cx");
    assert.ok(cx >= 76 && cx <= 832, `the dot at ${at} is on the chart, at x ${cx}`);
    near(cx, scaleOf(root)(at), "dot x");
    // Six-digit years do not shift the labels: times of day, and the days in the caption.
    for (const tick of all(root, "rn-tick")) {
      assert.match(tick.text, /^(\d\d-\d\d )?\d\d:\d\d:\d\d\.\d{3}$/);
    }
    assert.match(
      root.children.map((c) => c.text).join("|"),
      at > 0 ? /event time \(UTC\),? .*\+275760-09-13/ : /event time \(UTC\),? .*-271821-04-20/,
    );
  }
});

Deno.test("windowTimeline() draws an empty run and formats values with options.format", () => {
  const empty = parse(windowTimeline([], { down: [], meta: [] }, { clock: clockOf(0) }).svg);
  assert.equal(all(empty, "rn-item").length, 0);
  assert.equal(all(empty, "rn-window").length, 0);

  const items = [ev("k", 1)];
  const down: [string, [number, number]][] = [["k", [0, 2 / 3]]];
  const meta: [string, [number, WindowMetadata]][] = [
    ["k", [0, { openTime: T0, closeTime: T0 + 5000, mergedIds: [] }]],
  ];
  const byDefault = parse(windowTimeline(items, { down, meta }, { clock: clockOf(0) }).svg);
  assert.equal(all(byDefault, "rn-window-label")[0]!.text, "#0: 0.666667");
  const formatted = parse(
    windowTimeline(items, { down, meta }, { clock: clockOf(0), format: (v) => v.toFixed(2) }).svg,
  );
  assert.equal(all(formatted, "rn-window-label")[0]!.text, "#0: 0.67");
});

Deno.test("windowTimeline() rejects bad input with errors naming it", () => {
  const clock = clockOf(0);
  const none = { down: [], meta: [] };
  const meta0: [string, [number, WindowMetadata]] = [
    "k",
    [0, { openTime: T0, closeTime: T0 + 5000, mergedIds: [] }],
  ];
  const cases: [() => unknown, ErrorConstructor, RegExp][] = [
    [
      () => windowTimeline(42 as never, none, { clock }),
      TypeError,
      /items must be an iterable, got 42/,
    ],
    [
      () => windowTimeline([ev("k", 0), ["k"]] as never, none, { clock }),
      TypeError,
      /items\[1\] must be a \[key, value\] pair with a string key, got \["k"\]/,
    ],
    [() => windowTimeline([], none, {} as never), TypeError, /options.clock must be a Clock/],
    [() => windowTimeline([], null as never, { clock }), TypeError, /outputs must be/],
    [
      () => windowTimeline([], { down: [["k", [0, 1]]], meta: [] }, { clock }),
      RangeError,
      /outputs.down has a value for window 0 of key "k", but outputs.meta has no such window/,
    ],
    [
      () => windowTimeline([], { down: [["k", 1]] as never, meta: [] }, { clock }),
      TypeError,
      /outputs.down\[0\] must be \[key, \[windowId, value\]\], got \["k",1\]/,
    ],
    [
      () => windowTimeline([], { down: [], meta: [["k", [0, {}]]] as never }, { clock }),
      TypeError,
      /outputs.meta\[0\] must carry \{ openTime, closeTime, mergedIds \}/,
    ],
    [
      // Metadata written by hand, without mergedIds.
      () =>
        windowTimeline([], {
          down: [],
          meta: [["k", [0, { openTime: T0, closeTime: T0 + 5000 }]]] as never,
        }, { clock }),
      TypeError,
      /outputs.meta\[0\] must carry \{ openTime, closeTime, mergedIds \}, got \{"openTime":1672531200000,"closeTime":1672531205000\}/,
    ],
    [
      () =>
        windowTimeline([], {
          down: [],
          meta: [["k", [0, { openTime: T0, closeTime: T0, mergedIds: ["1"] }]]] as never,
        }, { clock }),
      TypeError,
      /outputs.meta\[0\].mergedIds must hold integer window ids, got \["1"\]/,
    ],
    [
      () => windowTimeline([], { down: [], meta: [meta0, meta0] }, { clock }),
      RangeError,
      /outputs.meta has window 0 of key "k" twice/,
    ],
    [
      () => windowTimeline([ev("k", 0)], none, { clock, keys: ["nope"] }),
      RangeError,
      /options.keys has "nope", which no item or window has; keys are \["k"\]/,
    ],
    [
      () => windowTimeline([ev("k", 0)], none, { clock, watermarkScope: "all" as never }),
      RangeError,
      /watermarkScope must be "key" or "partition", got "all"/,
    ],
    [
      () => windowTimeline([["k", { at: "soon", v: 0 }]] as never, none, { clock }),
      TypeError,
      /the clock failed on items\[0\]: .*tsGetter to return a valid Date/,
    ],
    [
      () =>
        windowTimeline([ev("k", 0)], { down: [["k", [0, 1]]], meta: [meta0] }, {
          clock,
          format: (() => 7) as never,
        }),
      TypeError,
      /options.format must return a string, got 7 for 1/,
    ],
    [
      () => windowTimeline([ev("k", 0)], none, { clock, keys: [] }),
      RangeError,
      /options.keys is empty; name at least one key, or leave it out to draw every key/,
    ],
    [
      () => windowTimeline([ev("k", 0)], none, { clock, join: 1 as never }),
      TypeError,
      /options.join must be a boolean, got 1/,
    ],
    [
      () => windowTimeline([ev("k", 0)], none, { clock, batchSize: 0 }),
      RangeError,
      /options.batchSize must be a positive integer or Infinity, got 0/,
    ],
    [
      () => windowTimeline([ev("k", 0)], none, { clock, batchSize: "1" as never }),
      TypeError,
      /options.batchSize must be a number or an array of batch lengths, got "1"/,
    ],
    [
      () => windowTimeline([ev("k", 0)], none, { clock, batchSize: [1, 0.5] }),
      RangeError,
      /options.batchSize must list positive integer lengths, got \[1,0.5\]/,
    ],
    [
      () => windowTimeline([ev("k", 0), ev("k", 1)], none, { clock, batchSize: [1, 2] }),
      RangeError,
      /options.batchSize has batches of 3 items in all, but there are 2 items/,
    ],
    [
      () => windowTimeline([ev("k", 0)], none, { clock, arrival: () => NaN }),
      TypeError,
      /options.arrival must return a valid Date or epoch ms, got NaN for items\[0\]/,
    ],
    [
      () => windowTimeline(Array.from({ length: 1001 }, (_, i) => ev("k", i)), none, { clock }),
      RangeError,
      /at most 1000 items, got 1001; pick fewer with options.keys/,
    ],
    [
      () => windowTimeline(Array.from({ length: 101 }, (_, i) => ev(`k${i}`, 0)), none, { clock }),
      RangeError,
      /at most 100 keys, got 101/,
    ],
  ];
  for (const [call, type, message] of cases) {
    assert.throws(call, (e: unknown) => {
      assert.ok(e instanceof type, `${e} is a ${type.name}`);
      assert.match((e as Error).message, /^Cannot draw windowTimeline: /);
      assert.match((e as Error).message, message);
      return true;
    });
  }
});
