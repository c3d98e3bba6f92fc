import assert from "node:assert/strict";
import { runModule, runtime } from "./_runtime.ts";

const FLOW = new URL("./fixtures/codegen/refused_flow.ts", import.meta.url);

// Deno alone takes V8 flags for a child here; the interpreter itself runs on every runtime
// through `deno task test:nocodegen` and the compiler's tests.
if (runtime === "deno") {
  Deno.test("a flow runs, fused, where code generation from strings is refused", async () => {
    const { code, stdout, stderr } = await runModule(FLOW, [], {
      denoFlags: ["--allow-all", "--v8-flags=--disallow-code-generation-from-strings"],
    });
    assert.equal(code, 0, stderr);
    assert.deepEqual(JSON.parse(stdout), {
      refused: true,
      out: [["k0", 3], ["k0", 5], ["k0", 1]],
      error: { stepId: "g.check", item: 4 },
    });
  });
}
