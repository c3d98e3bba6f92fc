import assert from "node:assert/strict";
import { runModule } from "./_runtime.ts";

const root = new URL("../", import.meta.url);

Deno.test("examples/websocket_windows.ts averages a local feed per sensor and 10 s window, the late reading apart", async () => {
  const { code, stdout, stderr } = await runModule("examples/websocket_windows.ts", [], {
    cwd: root,
    denoFlags: ["--allow-net=127.0.0.1", "--allow-read", "--allow-env"],
  });
  assert.equal(code, 0, stderr);
  assert.deepEqual(stdout.trim().split("\n").sort(), [
    "cellar window 0: 12 °C",
    "cellar window 1: 12 °C",
    "roof late for window 0: 99 °C at +3 s",
    "roof window 0: 21 °C",
    "roof window 1: 25 °C",
    "roof window 2: 27 °C",
  ]);
});
