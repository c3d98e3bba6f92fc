import assert from "node:assert/strict";
import { CliError } from "./errors.ts";
import { moduleUrl, parseFlowSpec } from "./load_flow.ts";

Deno.test("parseFlowSpec() splits module:export and leaves paths and URLs whole", () => {
  const cases: [string, string, string | undefined][] = [
    ["flow.ts", "flow.ts", undefined],
    ["flows/a.ts:build", "flows/a.ts", "build"],
    ["flows/a.ts:build()", "flows/a.ts", "build"],
    ["C:\\flows\\a.ts", "C:\\flows\\a.ts", undefined],
    ["C:\\flows\\a.ts:$make", "C:\\flows\\a.ts", "$make"],
    ["https://example.com/a.ts", "https://example.com/a.ts", undefined],
    ["https://example.com/a.ts:flow", "https://example.com/a.ts", "flow"],
    ["npm:flows", "npm:flows", undefined],
    ["file:///tmp/a.ts:default", "file:///tmp/a.ts", "default"],
  ];
  for (const [spec, module, exportName] of cases) {
    const { args: _, ...parsed } = parseFlowSpec(spec);
    assert.deepEqual(parsed, { module, exportName }, spec);
  }
});

Deno.test("parseFlowSpec() rejects an empty module", () => {
  for (const spec of ["", "  "]) {
    assert.throws(() => parseFlowSpec(spec), CliError, spec);
  }
});

Deno.test("parseFlowSpec() reads a factory's literal arguments", () => {
  const cases: [string, unknown[]][] = [
    ["a.ts:make()", []],
    ["a.ts:make( )", []],
    ["a.ts:make(1, 2)", [1, 2]],
    ["a.ts:make(-1.5e3,+2,.5)", [-1500, 2, 0.5]],
    ['a.ts:make("eu:west", "say \\"hi\\"", "")', ["eu:west", 'say "hi"', ""]],
    ["a.ts:make('it\\'s', 'a \"b\"', '\\n')", ["it's", 'a "b"', "\n"]],
    ["a.ts:make(true, false, null)", [true, false, null]],
  ];
  for (const [spec, args] of cases) {
    assert.deepEqual(parseFlowSpec(spec), { module: "a.ts", exportName: "make", args }, spec);
  }
  assert.deepEqual(parseFlowSpec("a.ts:make"), { module: "a.ts", exportName: "make" });
});

Deno.test("parseFlowSpec() refuses arguments that are not literals, naming where", () => {
  const cases: [string, RegExp][] = [
    ["a.ts:make(x)", /at "x\)?": write numbers, strings in quotes, true, false or null/],
    ["a.ts:make(1 2)", /at "1 2"/],
    ["a.ts:make(1,)", /nothing after the last comma/],
    ['a.ts:make("open)', /at ""open"/],
    ["a.ts:make(True)", /at "True"/],
    ["a.ts:make([1])", /at "\[1\]"/],
  ];
  for (const [spec, message] of cases) {
    assert.throws(
      () => parseFlowSpec(spec),
      (error: unknown) =>
        error instanceof CliError && error.exitCode === 2 && message.test(error.message),
      spec,
    );
  }
});

Deno.test("moduleUrl() resolves paths against the working directory as file URLs", () => {
  const cases: [string, string, string][] = [
    ["flow.ts", "/work", "file:///work/flow.ts"],
    ["./a/../flow.ts", "/work/", "file:///work/flow.ts"],
    ["/abs/flow.ts", "/work", "file:///abs/flow.ts"],
    ["my flow#1%.ts", "/w", "file:///w/my%20flow%231%25.ts"],
    ["flow.ts", "C:\\work", "file:///C:/work/flow.ts"],
    ["D:\\x\\flow.ts", "C:\\work", "file:///D:/x/flow.ts"],
    ["\\\\server\\share\\flow.ts", "C:\\work", "file://server/share/flow.ts"],
    ["https://example.com/flow.ts", "/work", "https://example.com/flow.ts"],
    ["file:///tmp/flow.ts", "/work", "file:///tmp/flow.ts"],
  ];
  for (const [module, cwd, href] of cases) {
    assert.equal(moduleUrl(module, cwd).href, href, module);
  }
});
