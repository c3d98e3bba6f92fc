import assert from "node:assert/strict";
import { Dataflow, EventClock } from "../../mod.ts";
import { TestingSink, TestingSource, TestingTime } from "../../connectors/testing.ts";
import { live } from "./live.ts";

interface Shown {
  html: string;
  text: string;
  displayId: string;
  update: boolean;
}

function recorder(): {
  shown: Shown[];
  display: (b: Record<string, string>, o: { displayId: string; update: boolean }) => Promise<void>;
} {
  const shown: Shown[] = [];
  return {
    shown,
    display: (bundle, { displayId, update }) => {
      shown.push({ html: bundle["text/html"]!, text: bundle["text/plain"]!, displayId, update });
      return Promise.resolve();
    },
  };
}

Deno.test("live() shows one output and updates it in place until the input ends", async () => {
  const { shown, display } = recorder();
  const out: number[] = [];
  const flow = new Dataflow("lv");
  const doubled = flow.input("inp", new TestingSource([1, 2, 3])).map("double", (x) => x * 2);
  doubled.output("out", new TestingSink(out));
  await live(doubled, { display, time: new TestingTime(), title: "Doubles" });
  assert.deepEqual(out, [2, 4, 6]);
  assert.ok(shown.length >= 2);
  assert.deepEqual(shown.map((s) => s.update), [false, ...shown.slice(1).map(() => true)]);
  assert.equal(new Set(shown.map((s) => s.displayId)).size, 1);
  assert.equal(shown.at(-1)!.text, "ended: 3 items in 0.0 s (0.0 items/s)");
  assert.ok(shown.at(-1)!.html.includes(">Doubles</div>"));
  // The latest items, oldest first.
  assert.ok(shown.at(-1)!.html.includes("latest: 2<br>4<br>6"));
});

Deno.test("live() redraws at most every `every` ms of the run's time", async () => {
  const { shown, display } = recorder();
  const clock = new TestingTime();
  const flow = new Dataflow("lv");
  const items = flow.input("inp", new TestingSource([1, 2, 3, 4, 5, 6]))
    .inspect("tick", () => clock.advance(100));
  items.output("out", new TestingSink([]));
  await live(items, { display, time: clock, every: 250 });
  // The first draw, then at most one per 250 ms of the 600 that pass (how many depends on how far
  // the step runs ahead of the view), and the last.
  const statuses = shown.map((s) => s.text.split(":")[0]);
  assert.equal(statuses.at(-1), "ended");
  const running = shown.slice(0, -1);
  assert.ok(running.every((s) => s.text.startsWith("running: ")), statuses.join(", "));
  assert.ok(running.length >= 2 && running.length <= 3, statuses.join(", "));
  const seconds = running.map((s) => Number(/ in ([\d.]+) s/.exec(s.text)![1]));
  assert.equal(seconds[0], 0);
  for (let i = 1; i < seconds.length; i++) {
    assert.ok(seconds[i]! - seconds[i - 1]! >= 0.25, `drawn at ${seconds.join(", ")} s`);
  }
  assert.match(shown.at(-1)!.text, /^ended: 6 items in 0\.6 s \(10\.0 items\/s\)$/);
});

Deno.test("live() shows each key's watermark from the window's clock", async () => {
  const { shown, display } = recorder();
  const clock = EventClock((ms: number) => ms, { waitForSystemDuration: 1_000 });
  const flow = new Dataflow("lv");
  const keyed = flow.input(
    "inp",
    new TestingSource([["a", 5_000], ["b", 2_000], ["a", 3_000]] as [string, number][]),
  );
  keyed.output("out", new TestingSink([]));
  let watermarks: string[] = [];
  await live(keyed, {
    display: (bundle, options) => {
      watermarks.push(bundle["text/html"]!.match(/watermark: ([^<]*)/)?.[1] ?? "none");
      return display(bundle, options);
    },
    time: new TestingTime(),
    every: 0,
    watermark: clock,
  });
  watermarks = watermarks.filter((w, i) => w !== watermarks[i - 1]);
  assert.deepEqual(watermarks, [
    "none",
    "a 1970-01-01 00:00:04.000",
    "a 1970-01-01 00:00:04.000 · b 1970-01-01 00:00:01.000",
    "a end of time · b end of time",
  ]);
  assert.equal(shown.length, 5);
});

Deno.test("live() stops the flow when its signal aborts, closes the source and says so", async () => {
  const { shown, display } = recorder();
  let closed = false;
  function* naturals() {
    try {
      for (let n = 0;; n++) yield n;
    } finally {
      closed = true;
    }
  }
  const controller = new AbortController();
  const flow = new Dataflow("lv");
  const numbers = flow.input("inp", naturals())
    .inspect("stop", (_id, n) => n === 100 && controller.abort(new Error("enough")));
  numbers.output("out", new TestingSink([]));
  await live(numbers, { display, time: new TestingTime(), signal: controller.signal });
  assert.equal(closed, true);
  assert.match(shown.at(-1)!.text, /^stopped: enough: \d+ items/);
  assert.ok(shown.at(-1)!.html.includes("stopped: enough"));
});

Deno.test("live() run again for the same flow stops the earlier run", async () => {
  const { shown, display } = recorder();
  function* naturals() {
    for (let n = 0;; n++) yield n;
  }
  const flow = new Dataflow("again");
  const numbers = flow.input("inp", naturals());
  numbers.output("out", new TestingSink([]));
  const first = live(numbers, { display, time: new TestingTime() });
  const second = new Dataflow("again");
  second.input("inp", [1]).output("out", new TestingSink([]));
  await live(second.input("inp2", [2]), { display, time: new TestingTime() });
  await first;
  assert.ok(shown.some((s) => s.text.startsWith("stopped: the cell ran again")));
});

Deno.test("live() shows a picture, or why it could not draw it, and the run goes on", async () => {
  const { shown, display } = recorder();
  const flow = new Dataflow("lv");
  const items = flow.input("inp", new TestingSource([1, 2]));
  items.output("out", new TestingSink([]));
  let calls = 0;
  await live(items, {
    display,
    time: new TestingTime(),
    every: 0,
    picture: () => {
      if (++calls === 2) throw new Error("no <data> yet");
      return "<svg id='pic'></svg>";
    },
  });
  assert.ok(shown[0]!.html.includes(`<div class="picture"><svg id='pic'></svg></div>`));
  assert.ok(shown[1]!.html.includes("Cannot draw the picture: no &lt;data&gt; yet"));
  assert.match(shown.at(-1)!.text, /^ended: 2 items/);
});

Deno.test("live() a failing flow rejects with the step's error", async () => {
  const { display } = recorder();
  const flow = new Dataflow("lv");
  const items = flow.input("inp", [1]).map("boom", () => {
    throw new Error("boom");
  });
  items.output("out", new TestingSink([]));
  await assert.rejects(live(items, { display, time: new TestingTime() }), {
    name: "StepError",
  });
});

Deno.test("live() refuses a negative redraw interval", async () => {
  const flow = new Dataflow("lv");
  const items = flow.input("inp", [1]);
  items.output("out", new TestingSink([]));
  await assert.rejects(live(items, { every: -1 }), {
    name: "RangeError",
    message: "Cannot run live: every must be a non-negative number of ms, got -1",
  });
});
