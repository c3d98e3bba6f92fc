import assert from "node:assert/strict";
import { isStdoutClosed, StdoutClosedError } from "./stdout_closed.ts";
import { main } from "../../cli/main.ts";

Deno.test("isStdoutClosed finds a StdoutClosedError anywhere in a cause chain", () => {
  const closed = new StdoutClosedError({ cause: new Error("EPIPE") });
  assert.equal(closed.message, "Cannot write to standard output: its reader closed it");
  assert.equal(closed.name, "StdoutClosedError");
  assert.equal(isStdoutClosed(closed), true);
  assert.equal(isStdoutClosed(new Error("step failed", { cause: closed })), true);
  assert.equal(isStdoutClosed(new Error("step failed", { cause: new Error("other") })), false);
  assert.equal(isStdoutClosed("EPIPE"), false);
  const loop = new Error("loop");
  loop.cause = loop;
  assert.equal(isStdoutClosed(loop), false);
});

Deno.test("runnel ends quietly with 0 when its output is closed while it prints help", async () => {
  let err = "";
  const code = await main(["--help"], {
    stdout: () => Promise.reject(new StdoutClosedError()),
    stderr: (text) => void (err += text),
  });
  assert.equal(code, 0);
  assert.equal(err, "");
});
