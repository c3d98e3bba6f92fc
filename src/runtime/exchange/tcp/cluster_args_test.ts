import assert from "node:assert/strict";
import { parseClusterArgs } from "./cluster_args.ts";

const noEnv = () => undefined;
const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("parseClusterArgs() reads -a and -i", () => {
  assert.deepEqual(
    parseClusterArgs({ addresses: "a.local:7001; 10.0.0.2:7002", processId: "1" }, noEnv),
    {
      addresses: [{ hostname: "a.local", port: 7001 }, { hostname: "10.0.0.2", port: 7002 }],
      processIndex: 1,
    },
  );
});

Deno.test("parseClusterArgs() reads RUNNEL_ADDRESSES and RUNNEL_PROCESS_ID, and flags win", () => {
  const vars = env({
    RUNNEL_ADDRESSES: "flow-0.flow:7000;flow-1.flow:7000;",
    RUNNEL_PROCESS_ID: "1",
  });
  assert.deepEqual(parseClusterArgs({}, vars), {
    addresses: [{ hostname: "flow-0.flow", port: 7000 }, { hostname: "flow-1.flow", port: 7000 }],
    processIndex: 1,
  });
  assert.equal(parseClusterArgs({ processId: "0" }, vars)!.processIndex, 0);
  assert.deepEqual(parseClusterArgs({ addresses: "h:1", processId: "0" }, vars)!.addresses, [{
    hostname: "h",
    port: 1,
  }]);
});

Deno.test("parseClusterArgs() gives undefined without addresses, and a cluster of one for one address", () => {
  assert.equal(parseClusterArgs({}, noEnv), undefined);
  assert.equal(parseClusterArgs({ addresses: " " }, noEnv), undefined);
  assert.deepEqual(parseClusterArgs({ addresses: "localhost:9000" }, noEnv), {
    addresses: [{ hostname: "localhost", port: 9000 }],
    processIndex: 0,
  });
});

Deno.test("parseClusterArgs() reads IPv6 hosts in brackets", () => {
  assert.deepEqual(
    parseClusterArgs({ addresses: "[::1]:7001;[fe80::2]:7002", processId: "0" }, noEnv)!.addresses,
    [
      { hostname: "::1", port: 7001 },
      { hostname: "fe80::2", port: 7002 },
    ],
  );
});

Deno.test("parseClusterArgs() says what is wrong with an address list", () => {
  const cases: [string, RegExp][] = [
    ["a:1;b", /Cannot read address 1 of -a "b": it needs a port, as host:port$/],
    [":7000", /Cannot read address 0 of -a ":7000": the host is empty$/],
    ["a:x", /Cannot read address 0 of -a "a:x": the port "x" is not a number$/],
    ["a:0;b:2", /Cannot read address 0 of -a "a:0": the port 0 is not in 1\.\.65535$/],
    ["a:65536", /the port 65536 is not in 1\.\.65535/],
    ["::1:7000", /write an IPv6 host in brackets, as \[::1\]:port/],
    ["a:1;;b:2", /Cannot read address 1 of -a "": it needs a port/],
    [
      "127.0.0.1:7001,127.0.0.1:7002",
      /Cannot read -a "127\.0\.0\.1:7001,127\.0\.0\.1:7002": addresses are separated by ";", as in "host0:7001;host1:7001"$/,
    ],
    ["a:1 b:2", /addresses are separated by ";"/],
  ];
  for (const [addresses, message] of cases) {
    assert.throws(() => parseClusterArgs({ addresses, processId: "0" }, noEnv), message);
  }
  assert.throws(
    () => parseClusterArgs({ processId: "0" }, env({ RUNNEL_ADDRESSES: "a:1;A:1" })),
    (error) =>
      error instanceof RangeError &&
      error.message === "Cannot read RUNNEL_ADDRESSES: addresses 0 and 1 are both A:1",
  );
});

Deno.test("parseClusterArgs() says what is wrong with the process index", () => {
  assert.throws(
    () => parseClusterArgs({ addresses: "a:1;b:2" }, noEnv),
    /^TypeError: Cannot join the cluster of 2 processes in -a: this process's index is missing \(-i N or RUNNEL_PROCESS_ID\)$/,
  );
  assert.throws(
    () => parseClusterArgs({ addresses: "a:1;b:2", processId: "2" }, noEnv),
    (error) =>
      error instanceof RangeError &&
      error.message === "Cannot read -i: process 2 is not in the 2 addresses of -a (indices 0..1)",
  );
  for (const id of ["-1", "1.5", "one", "0x1"]) {
    assert.throws(
      () => parseClusterArgs({ addresses: "a:1;b:2" }, env({ RUNNEL_PROCESS_ID: id })),
      new RegExp(
        `^TypeError: Cannot read RUNNEL_PROCESS_ID: "${
          id.replace(".", "\\.")
        }" is not a process index$`,
      ),
    );
  }
  assert.throws(
    () => parseClusterArgs({ processId: "1" }, noEnv),
    /^TypeError: Cannot join a cluster: -i is "1" but no addresses were given/,
  );
});
