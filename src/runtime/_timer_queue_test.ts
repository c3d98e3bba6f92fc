import assert from "node:assert/strict";
import { TimerQueue } from "./_timer_queue.ts";

Deno.test("TimerQueue pops due keys earliest first and keeps the rest", () => {
  const timers = new TimerQueue();
  timers.set("c", 30);
  timers.set("a", 10);
  timers.set("b", 20);
  assert.equal(timers.peek(), 10);
  assert.deepEqual(timers.popDue(20), ["a", "b"]);
  assert.equal(timers.size, 1);
  assert.equal(timers.peek(), 30);
  assert.deepEqual(timers.popDue(29), []);
  assert.deepEqual(timers.popDue(30), ["c"]);
  assert.equal(timers.peek(), undefined);
});

Deno.test("TimerQueue: a time moved later fires then, not before", () => {
  const timers = new TimerQueue();
  timers.set("a", 10);
  timers.set("b", 15);
  for (let t = 11; t <= 40; t++) timers.set("a", t); // later and later
  assert.equal(timers.peek(), 15);
  assert.deepEqual(timers.popDue(39), ["b"]);
  assert.equal(timers.peek(), 40);
  assert.deepEqual(timers.popDue(40), ["a"]);
  assert.equal(timers.size, 0);
});

Deno.test("TimerQueue: a time moved earlier fires early, once", () => {
  const timers = new TimerQueue();
  timers.set("a", 50);
  timers.set("a", 5);
  assert.equal(timers.peek(), 5);
  assert.deepEqual(timers.popDue(100), ["a"]);
  assert.equal(timers.peek(), undefined, "the stale entry at 50 does not fire again");
});

Deno.test("TimerQueue: moved earlier then later fires at the last time set", () => {
  const timers = new TimerQueue();
  timers.set("a", 50);
  timers.set("a", 5);
  timers.set("a", 60);
  assert.deepEqual(timers.popDue(55), []);
  assert.equal(timers.peek(), 60);
  assert.deepEqual(timers.popDue(60), ["a"]);
  assert.deepEqual(timers.popDue(1000), []);
});

Deno.test("TimerQueue: a cleared key never fires; set again, it fires at its new time", () => {
  const timers = new TimerQueue();
  timers.set("a", 10);
  timers.set("a", undefined);
  assert.equal(timers.size, 0);
  assert.equal(timers.peek(), undefined);
  timers.set("a", 30);
  assert.deepEqual(timers.popDue(20), []);
  assert.deepEqual(timers.popDue(30), ["a"]);
});

Deno.test("TimerQueue agrees with a plain map over many random moves", () => {
  let seed = 1;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const timers = new TimerQueue();
  const model = new Map<string, number>();
  for (let step = 0; step < 5000; step++) {
    const key = `k${Math.floor(random() * 20)}`;
    const roll = random();
    if (roll < 0.1) {
      timers.set(key, undefined);
      model.delete(key);
    } else if (roll < 0.9) {
      const time = Math.floor(random() * 1000);
      timers.set(key, time);
      model.set(key, time);
    } else {
      const now = Math.floor(random() * 1000);
      const due = [...model].filter(([, t]) => t <= now).sort((a, b) => a[1] - b[1]);
      const popped = timers.popDue(now);
      assert.deepEqual(new Set(popped), new Set(due.map(([k]) => k)), `step ${step}`);
      assert.deepEqual(popped.map((k) => model.get(k)), due.map(([, t]) => t), "earliest first");
      for (const [k] of due) model.delete(k);
    }
    const earliest = model.size === 0 ? undefined : Math.min(...model.values());
    assert.equal(timers.peek(), earliest, `step ${step}`);
    assert.equal(timers.size, model.size);
  }
});
