import assert from "node:assert/strict";
import { Dataflow } from "../../mod.ts";
import { fingerprintDifference, flowFingerprint } from "./fingerprint.ts";

function build(second: string): Dataflow {
  const flow = new Dataflow("f");
  flow.input("inp", [1]).map(second, (n) => n).output("out", {
    build: () => ({ writeBatch() {} }),
  });
  return flow;
}

Deno.test("flowFingerprint() lists each step's path, kind and inputs, the same for the same graph", () => {
  assert.equal(
    flowFingerprint(build("double")),
    "flow f\nf.inp input\nf.double flatMapBatch <- f.inp:down\nf.out output <- f.double:down",
  );
  assert.equal(flowFingerprint(build("double")), flowFingerprint(build("double")));
});

Deno.test("fingerprintDifference() names the first step that differs", () => {
  const a = flowFingerprint(build("double"));
  assert.equal(fingerprintDifference(a, a), undefined);
  assert.equal(
    fingerprintDifference(a, flowFingerprint(build("triple"))),
    'it has step "f.triple flatMapBatch <- f.inp:down" where "f.double flatMapBatch <- f.inp:down" was expected',
  );
  const shorter = new Dataflow("f");
  shorter.input("inp", [1]);
  assert.equal(
    fingerprintDifference(a, flowFingerprint(shorter)),
    'it lacks step "f.double flatMapBatch <- f.inp:down" and those after it',
  );
});
