import assert from "node:assert/strict";
import { Barrier, type Control, Watermark } from "../message.ts";
import { Alignment } from "./alignment.ts";

function show(out: Control[]): string[] {
  return out.splice(0).map((m) =>
    m instanceof Barrier
      ? `barrier ${m.epoch}`
      : m instanceof Watermark
      ? `wm ${m.time}`
      : m.idle
      ? "idle"
      : "active"
  );
}

Deno.test("Alignment passes barrier e once every running input delivered it, idle or not", () => {
  const alignment = new Alignment(2);
  const out: Control[] = [];
  alignment.status(1, true, out);
  assert.deepEqual(show(out), []);
  assert.deepEqual(
    alignment.barrier(0, 1, out),
    [],
    "input 0 was released before input 1's barrier",
  );
  assert.deepEqual(show(out), [], "an idle input's barrier was not waited for");
  assert.deepEqual(alignment.barrier(1, 1, out), [0, 1]);
  assert.deepEqual(show(out), ["barrier 1"]);
});

Deno.test("Alignment leaves idle inputs out of the watermark, and never moves it back", () => {
  const alignment = new Alignment(2);
  const out: Control[] = [];
  alignment.watermark(0, 100, out);
  assert.deepEqual(show(out), [], "passed while input 1 had no watermark");
  alignment.status(1, true, out);
  assert.deepEqual(show(out), ["wm 100"], "the idle input held the watermark back");
  alignment.watermark(0, 150, out);
  assert.deepEqual(show(out), ["wm 150"]);
  alignment.status(1, false, out);
  alignment.watermark(1, 120, out);
  assert.deepEqual(show(out), [], "the watermark went back for an input that woke up behind");
  alignment.watermark(0, 300, out);
  alignment.watermark(1, 200, out);
  assert.deepEqual(show(out), ["wm 200"]);
});

Deno.test("Alignment is idle while every running input is idle", () => {
  const alignment = new Alignment(3);
  const out: Control[] = [];
  alignment.status(0, true, out);
  alignment.status(1, true, out);
  assert.deepEqual(show(out), []);
  alignment.end(2, out);
  assert.deepEqual(show(out), ["idle"], "the last busy input ended, the output stayed active");
  alignment.status(1, false, out);
  alignment.watermark(1, 10, out);
  assert.deepEqual(show(out), ["active", "wm 10"]);
  alignment.end(1, out);
  assert.deepEqual(show(out), ["idle"]);
  alignment.end(0, out);
  assert.deepEqual(show(out), [], "the end of every input changed the status");
  assert.equal(alignment.live, 0);
});

Deno.test("Alignment releases a waiting barrier when the input it waited for ends", () => {
  const alignment = new Alignment(2);
  const out: Control[] = [];
  assert.deepEqual(alignment.barrier(0, 3, out), []);
  assert.deepEqual(alignment.end(1, out), [0]);
  assert.deepEqual(show(out), ["barrier 3"]);
});
