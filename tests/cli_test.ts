import assert from "node:assert/strict";
import denoJson from "../deno.json" with { type: "json" };
import { main } from "../cli.ts";
import type { CliIo } from "../src/cli/io.ts";
import type { StopSignal } from "../src/runtime/platform/platform.ts";
import { madeOut, out, scaledOut } from "./fixtures/cli/good_flow.ts";
import { defaultOut } from "./fixtures/cli/default_flow.ts";
import { onlyDefaultOut } from "./fixtures/cli/default_only_flow.ts";
import { quietLog } from "./fixtures/cli/endless_flow.ts";
import { epochs } from "./fixtures/cli/epoch_flow.ts";
import { waitFor } from "./_helpers.ts";
import { runModule, spawnModule, withTempDir } from "./_runtime.ts";
import { spawn as nodeSpawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import process from "node:process";
import { join } from "node:path";

const FIXTURES = decodeURIComponent(new URL("./fixtures/cli/", import.meta.url).pathname);
const REPO = decodeURIComponent(new URL("../", import.meta.url).pathname);

interface Fake {
  io: Partial<CliIo>;
  stdout(): string;
  stderr(): string;
  interrupt(signal?: StopSignal): void;
}

function fakeIo(env: Record<string, string> = {}): Fake {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const handlers = new Set<(signal: StopSignal) => void>();
  return {
    io: {
      stdout: (text) => void stdout.push(text),
      stderr: (text) => void stderr.push(text),
      env: (name) => env[name],
      cwd: () => FIXTURES,
      onInterrupt: (handler) => {
        handlers.add(handler);
        return () => handlers.delete(handler);
      },
    },
    stdout: () => stdout.join(""),
    stderr: () => stderr.join(""),
    interrupt: (signal = "SIGINT") => {
      for (const handler of [...handlers]) handler(signal);
    },
  };
}

async function cli(args: string[], env: Record<string, string> = {}) {
  const fake = fakeIo(env);
  const code = await main(args, fake.io);
  return { code, stdout: fake.stdout(), stderr: fake.stderr() };
}

// --- help and version ---

Deno.test("runnel --help prints usage, commands, options and an example, exit 0", async () => {
  for (const flag of ["--help", "-h", "help"]) {
    const { code, stdout, stderr } = await cli([flag]);
    assert.equal(code, 0);
    assert.equal(stderr, "");
    assert.match(stdout, /^runnel \d+\.\d+\.\d+: a stateful stream processor/);
    assert.match(stdout, /runnel run <module>\[:export\] \[options\]/);
    assert.match(stdout, /runnel visualize <module>\[:export\] \[options\]/);
    assert.match(stdout, /runnel run examples\/wordcount\.ts/);
  }
});

Deno.test("runnel run --help lists each flag with its environment variable and default", async () => {
  for (const args of [["run", "--help"], ["run", "flow.ts", "-h"], ["help", "run"]]) {
    const { code, stdout } = await cli(args);
    assert.equal(code, 0);
    assert.match(stdout, /^Usage: runnel run <module>\[:export\] \[options\]/);
    assert.match(stdout, /-s, --snapshot-interval SECONDS/);
    assert.match(stdout, /env RUNNEL_SNAPSHOT_INTERVAL, default 10/);
    assert.match(stdout, /-w, --workers-per-process N/);
    assert.match(stdout, /env RUNNEL_WORKERS_PER_PROCESS, default 1/);
    assert.match(stdout, /RUNNEL_TRACE=1/);
    assert.match(stdout, /130 +interrupted/);
  }
});

Deno.test("runnel visualize --help describes --recursive and --output-format", async () => {
  const { code, stdout } = await cli(["visualize", "--help"]);
  assert.equal(code, 0);
  assert.match(stdout, /^Usage: runnel visualize <module>\[:export\] \[options\]/);
  assert.match(stdout, /-r, --recursive/);
  assert.match(stdout, /-o, --output-format FORMAT/);
});

Deno.test("runnel --version prints the version from deno.json", async () => {
  const { code, stdout } = await cli(["--version"]);
  assert.equal(code, 0);
  assert.equal(stdout, `runnel ${denoJson.version}\n`);
});

// --- usage errors ---

Deno.test("runnel without a command prints the help to stderr, exit 2", async () => {
  const { code, stdout, stderr } = await cli([]);
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.match(stderr, /^runnel \d/);
});

Deno.test("an unknown command is a usage error naming the commands", async () => {
  const { code, stderr } = await cli(["runn", "flow.ts"]);
  assert.equal(code, 2);
  assert.equal(
    stderr,
    `runnel: unknown command "runn"; commands: run, visualize, recovery\nTry 'runnel --help'.\n`,
  );
});

Deno.test("an option before the command is a usage error", async () => {
  const { code, stderr } = await cli(["-w", "1", "run", "good_flow.ts"]);
  assert.equal(code, 2);
  assert.equal(
    stderr,
    `runnel: unknown option "-w"; options come after the command\nTry 'runnel --help'.\n`,
  );
});

Deno.test("runnel run: an unknown flag, a missing value and extra arguments are usage errors", async () => {
  const cases: [string[], string][] = [
    [["run", "good_flow.ts", "--fast"], `runnel: unknown option "--fast" for 'runnel run'`],
    [
      ["run", "good_flow.ts", "-s"],
      `runnel: option -s/--snapshot-interval needs a value (SECONDS)`,
    ],
    [
      ["run", "good_flow.ts", "other.ts"],
      `runnel: unexpected argument "other.ts": 'runnel run' takes one module`,
    ],
    [["run"], `runnel: 'runnel run' needs a module, as in 'runnel run flow.ts'`],
  ];
  for (const [args, line] of cases) {
    const { code, stdout, stderr } = await cli(args);
    assert.equal(code, 2, args.join(" "));
    assert.equal(stdout, "");
    assert.equal(stderr, `${line}\nTry 'runnel run --help'.\n`);
  }
});

Deno.test("RUNNEL_WORKERS_PER_PROCESS is read when -w is absent, and -w wins over it", async () => {
  const fromEnv = await cli(["run", "good_flow.ts"], { RUNNEL_WORKERS_PER_PROCESS: "0" });
  assert.equal(fromEnv.code, 2);
  assert.match(
    fromEnv.stderr,
    /^runnel: RUNNEL_WORKERS_PER_PROCESS must be a whole number of at least 1, got "0"/,
  );

  const flagWins = await cli(["run", "good_flow.ts", "--workers-per-process=1"], {
    RUNNEL_WORKERS_PER_PROCESS: "0",
  });
  assert.equal(flagWins.code, 0);
  assert.equal(flagWins.stderr, "");
});

Deno.test("runnel run rejects workers and intervals that are not positive numbers", async () => {
  const cases: [string[], Record<string, string>, string][] = [
    [["-w", "0"], {}, `-w/--workers-per-process must be a whole number of at least 1, got "0"`],
    [["-w", "1.5"], {}, `-w/--workers-per-process must be a whole number of at least 1, got "1.5"`],
    [["-s", "abc"], {}, `-s/--snapshot-interval must be a positive number of seconds, got "abc"`],
    [["-s", "-1"], {}, `-s/--snapshot-interval must be a positive number of seconds, got "-1"`],
    [
      [],
      { RUNNEL_SNAPSHOT_INTERVAL: "0" },
      `RUNNEL_SNAPSHOT_INTERVAL must be a positive number of seconds, got "0"`,
    ],
  ];
  for (const [flags, env, line] of cases) {
    const { code, stderr } = await cli(["run", "good_flow.ts", ...flags], env);
    assert.equal(code, 2, flags.join(" "));
    assert.equal(stderr, `runnel: ${line}\nTry 'runnel run --help'.\n`);
  }
});

// --- loading the flow ---

Deno.test("runnel run runs the module's `flow` export to completion, exit 0", async () => {
  out.length = 0;
  const { code, stdout, stderr } = await cli(["run", "good_flow.ts"]);
  assert.equal(code, 0);
  assert.equal(stdout, "");
  assert.equal(stderr, "");
  assert.deepEqual(out, ["A", "B"]);
});

Deno.test("runnel run takes an absolute path and a path with ./ and ..", async () => {
  for (const module of [`${FIXTURES}good_flow.ts`, `./../cli/good_flow.ts`]) {
    out.length = 0;
    assert.equal((await cli(["run", module])).code, 0, module);
    assert.deepEqual(out, ["A", "B"]);
  }
});

Deno.test("runnel run module:factory calls a factory, sync or async, with or without ()", async () => {
  for (
    const spec of ["good_flow.ts:makeFlow", "good_flow.ts:makeFlow()", "good_flow.ts:makeFlowLater"]
  ) {
    madeOut.length = 0;
    const { code, stderr } = await cli(["run", spec]);
    assert.equal(code, 0, spec);
    assert.equal(stderr, "");
    assert.deepEqual(madeOut, [1, 4, 9]);
  }
});

Deno.test("runnel run takes the `flow` export over the default one, and the default one without `flow`", async () => {
  defaultOut.length = 0;
  assert.equal((await cli(["run", "default_flow.ts"])).code, 0);
  assert.deepEqual(defaultOut, ["flow"]);
  defaultOut.length = 0;
  assert.equal((await cli(["run", "default_flow.ts:default"])).code, 0);
  assert.deepEqual(defaultOut, ["default"]);
  onlyDefaultOut.length = 0;
  assert.equal((await cli(["run", "default_only_flow.ts"])).code, 0);
  assert.deepEqual(onlyDefaultOut, ["only"]);
});

Deno.test("--help and runnel run agree on which export is taken without :export", async () => {
  const { stdout } = await cli(["--help"]);
  assert.match(
    stdout,
    /Without\s+:export, runnel takes the module's export "flow", else its default export/,
  );
});

Deno.test("runnel run passes -s as the epoch interval, and reads RUNNEL_SNAPSHOT_INTERVAL", async () => {
  // Six items 30 ms apart: one epoch at the default 10 s, several at 0.05 s.
  epochs.length = 0;
  assert.equal((await cli(["run", "epoch_flow.ts"])).code, 0);
  assert.deepEqual(epochs, [1, 1, 1, 1, 1, 1]);

  for (
    const [flags, env] of [[["-s", "0.05"], {}], [[], {
      RUNNEL_SNAPSHOT_INTERVAL: "0.05",
    }]] as const
  ) {
    epochs.length = 0;
    assert.equal((await cli(["run", "epoch_flow.ts", ...flags], env)).code, 0);
    assert.equal(epochs.length, 6);
    assert.ok(epochs.at(-1)! > 1, `epochs ${epochs}`);
  }

  epochs.length = 0;
  assert.equal(
    (await cli(["run", "epoch_flow.ts", "-s10"], { RUNNEL_SNAPSHOT_INTERVAL: "0.05" })).code,
    0,
  );
  assert.deepEqual(epochs, [1, 1, 1, 1, 1, 1]);
});

Deno.test("a module that is not there is a usage error naming the path looked at", async () => {
  const { code, stderr } = await cli(["run", "missing.ts"]);
  assert.equal(code, 2);
  assert.equal(
    stderr,
    `runnel: cannot load "missing.ts": module not found at ${FIXTURES}missing.ts\n`,
  );
});

Deno.test("a module without a Dataflow export is a usage error listing its exports", async () => {
  const { code, stderr } = await cli(["run", "no_flow.ts"]);
  assert.equal(code, 2);
  assert.equal(
    stderr,
    `runnel: "no_flow.ts" has no export "flow" and no default export; exports: answer, helper\n` +
      `Name the flow's export: 'no_flow.ts:<export>'.\n`,
  );
});

Deno.test("a misspelt export is a usage error listing the exports", async () => {
  const { code, stderr } = await cli(["run", "good_flow.ts:flw"]);
  assert.equal(code, 2);
  assert.match(
    stderr,
    /^runnel: "good_flow\.ts" has no export "flw"; exports: answer, brokenFactory, flow, madeOut, makeFlow, makeFlowLater, notAFactory, out, scaled, scaledOut\n/,
  );
});

Deno.test("an export that is not a Dataflow, or a factory returning something else, is a usage error", async () => {
  const answer = await cli(["run", "good_flow.ts:answer"]);
  assert.equal(answer.code, 2);
  assert.equal(
    answer.stderr,
    `runnel: "good_flow.ts:answer" is a number, not a Dataflow or a function returning one\n`,
  );
  const factory = await cli(["run", "good_flow.ts:notAFactory"]);
  assert.equal(factory.code, 2);
  assert.equal(
    factory.stderr,
    `runnel: "good_flow.ts:notAFactory" returned a number, not a Dataflow\n`,
  );
});

Deno.test("runnel run module:factory(args) calls a factory with literal arguments", async () => {
  const cases: [string, string[]][] = [
    ['good_flow.ts:scaled(3, "x")', ["x:3", "x:6"]],
    ["good_flow.ts:scaled(0.5, 'half', true)", ["half:0.5!", "half:1!"]],
  ];
  for (const [spec, expected] of cases) {
    scaledOut.length = 0;
    const { code, stderr } = await cli(["run", spec]);
    assert.equal(code, 0, `${spec}: ${stderr}`);
    assert.deepEqual(scaledOut, expected, spec);
  }
});

Deno.test("a factory given fewer arguments than it declares is a usage error, exit 2", async () => {
  for (
    const [spec, given] of [["good_flow.ts:scaled", "none"], ["good_flow.ts:scaled(2)", "only 1"]]
  ) {
    scaledOut.length = 0;
    const { code, stderr } = await cli(["run", spec]);
    assert.equal(code, 2, spec);
    assert.equal(
      stderr,
      `runnel: "good_flow.ts:scaled" takes 2 arguments and was given ${given}; ` +
        `pass them as literals, as in 'good_flow.ts:scaled(3, "text", true)'\n`,
    );
    assert.deepEqual(scaledOut, []);
  }
  const { code, stderr } = await cli(["run", "good_flow.ts:scaled(two)"]);
  assert.equal(code, 2);
  assert.match(
    stderr,
    /^runnel: cannot read the arguments of "scaled\(two\)" at "two": write numbers/,
  );
});

Deno.test("a module that cannot load (syntax error, missing import or export) is a usage error, exit 2", async () => {
  await withTempDir(async (dir) => {
    const modules: Record<string, string> = {
      "syntax.ts": "export const flow = ;\n",
      "missing_file.ts": 'import { x } from "./nope.ts";\nexport const flow = x;\n',
      "missing_package.ts": 'import x from "no-such-package-runnel";\nexport const flow = x;\n',
      "missing_export.ts": 'import { nothere } from "./ok.ts";\nexport const flow = nothere;\n',
      "ok.ts": "export const here = 1;\n",
    };
    for (const [name, text] of Object.entries(modules)) await writeFile(join(dir, name), text);
    for (
      const name of ["syntax.ts", "missing_file.ts", "missing_package.ts", "missing_export.ts"]
    ) {
      const { code, stderr } = await cli(["run", join(dir, name)]);
      assert.equal(code, 2, `${name}: ${stderr}`);
      assert.match(stderr, new RegExp(`^runnel: cannot load "${join(dir, name)}": \\S`), name);
      assert.equal(stderr.split("\n").length, 2, `${name}: one line: ${stderr}`);
    }
  });
});

Deno.test("a module whose own code throws a SyntaxError while it runs exits 1", async () => {
  await withTempDir(async (dir) => {
    await writeFile(join(dir, "parses.ts"), 'JSON.parse("{");\nexport const flow = 1;\n');
    const { code, stderr } = await cli(["run", join(dir, "parses.ts")]);
    assert.equal(code, 1, stderr);
    assert.match(stderr, /^runnel: cannot load ".*parses\.ts": SyntaxError: .*JSON/);
  });
});

Deno.test("a module or factory that throws while building exits 1 with one line", async () => {
  const module = await cli(["run", "throws_on_load.ts"]);
  assert.equal(module.code, 1);
  assert.equal(
    module.stderr,
    `runnel: cannot load "throws_on_load.ts": cannot reach the database\n`,
  );

  const factory = await cli(["run", "good_flow.ts:brokenFactory"]);
  assert.equal(factory.code, 1);
  assert.equal(
    factory.stderr,
    `runnel: cannot build the flow: "good_flow.ts:brokenFactory" threw: ` +
      `TypeError: Cannot add step "broken.inp": a step with this id already exists\n`,
  );
});

// --- running ---

Deno.test("a failing flow exits 1 with one stderr line naming the step and the item", async () => {
  const { code, stdout, stderr } = await cli(["run", "failing_flow.ts"]);
  assert.equal(code, 1);
  assert.equal(stdout, "");
  assert.equal(
    stderr,
    `runnel: flow failed: Cannot run step "failing.parse": mapper threw; item "x"; RangeError: not a number: x\n`,
  );
});

Deno.test("RUNNEL_TRACE=1 adds the stack trace and the cause's stack", async () => {
  const { code, stderr } = await cli(["run", "failing_flow.ts"], { RUNNEL_TRACE: "1" });
  assert.equal(code, 1);
  const [first, ...rest] = stderr.split("\n");
  assert.match(first!, /^runnel: flow failed: Cannot run step "failing\.parse"/);
  const trace = rest.join("\n");
  assert.match(trace, /^StepError: Cannot run step "failing\.parse"/);
  assert.match(trace, /Caused by: RangeError: not a number: x\n\s+at .*failing_flow\.ts/);
});

Deno.test("Ctrl-C aborts the run, closes the sinks and exits 130", async () => {
  quietLog.length = 0;
  const fake = fakeIo();
  const exit = main(["run", "endless_flow.ts:quiet"], fake.io);
  while (quietLog.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
  fake.interrupt();
  assert.equal(await exit, 130);
  assert.equal(quietLog.at(-1), "closed");
  assert.equal(
    fake.stderr(),
    "runnel: interrupted; closing sinks (Ctrl-C again to quit at once)\n",
  );
  // The handler is removed once the run is over.
  fake.interrupt();
});

// --- visualize ---

Deno.test("runnel visualize prints the top-level Mermaid flowchart", async () => {
  const { code, stdout, stderr } = await cli(["visualize", "visual_flow.ts"]);
  assert.equal(code, 0);
  assert.equal(stderr, "");
  assert.equal(
    stdout,
    `flowchart TD
  subgraph visual["visual (Dataflow)"]
    visual_inp["inp (input)"]
    visual_double["double (map)"]
    visual_big["big (branch)"]
    visual_big_out["big_out (output)"]
    visual_small_out["small_out (output)"]
    visual_inp --> visual_double
    visual_double --> visual_big
    visual_big -->|trues| visual_big_out
    visual_big -->|falses| visual_small_out
  end
`,
  );
});

Deno.test("runnel visualize --recursive draws composites as subgraphs", async () => {
  const top = await cli(["visualize", "visual_flow.ts:nested", "-o", "mermaid"]);
  assert.equal(top.code, 0);
  assert.match(top.stdout, /nested_outer\[\["outer \(flatMapBatch\)"\]\]/);

  for (const flag of ["--recursive", "-r"]) {
    const { code, stdout } = await cli(["visualize", flag, "visual_flow.ts:nested"]);
    assert.equal(code, 0);
    assert.equal(
      stdout,
      `flowchart TD
  subgraph nested["nested (Dataflow)"]
    nested_inp["inp (input)"]
    subgraph nested_outer["outer"]
      nested_outer_lower["lower (map)"]
      nested_outer_upper["upper (map)"]
    end
    nested_out["out (output)"]
    nested_inp --> nested_outer_lower
    nested_outer_lower --> nested_outer_upper
    nested_outer_upper --> nested_out
  end
`,
    );
  }
});

Deno.test("runnel visualize rejects other output formats and reports load errors", async () => {
  const format = await cli(["visualize", "visual_flow.ts", "--output-format=json"]);
  assert.equal(format.code, 2);
  assert.equal(
    format.stderr,
    `runnel: output format "json" is not supported; supported: mermaid\nTry 'runnel visualize --help'.\n`,
  );
  const missing = await cli(["visualize", "no_flow.ts:answer"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^runnel: "no_flow\.ts:answer" is a number, not a Dataflow/);
});

// --- as a real process, on the runtime running the tests ---

function spawn(args: string[]) {
  return runModule("cli.ts", args, { cwd: REPO, env: { NO_COLOR: "1" } });
}

Deno.test("process: runnel run exits 0 and the flow's sink prints to stdout", async () => {
  const { code, stdout, stderr } = await spawn(["run", "tests/fixtures/cli/print_flow.ts"]);
  assert.equal(stderr, "");
  assert.equal(code, 0);
  assert.equal(stdout, "to:2\nbe:2\nor:2\n");
});

Deno.test("process: a failing flow exits 1 with a single stderr line", async () => {
  const { code, stderr } = await spawn(["run", "tests/fixtures/cli/failing_flow.ts"]);
  assert.equal(code, 1);
  assert.equal(
    stderr,
    `runnel: flow failed: Cannot run step "failing.parse": mapper threw; item "x"; RangeError: not a number: x\n`,
  );
});

Deno.test("process: a missing module exits 2 with a single stderr line", async () => {
  const { code, stdout, stderr } = await spawn(["run", "tests/fixtures/cli/nope.ts"]);
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.equal(
    stderr,
    `runnel: cannot load "tests/fixtures/cli/nope.ts": module not found at ${REPO}tests/fixtures/cli/nope.ts\n`,
  );
});

Deno.test("process: SIGINT closes the sinks and exits 130", async () => {
  const cli = spawnModule("cli.ts", ["run", "tests/fixtures/cli/endless_flow.ts"], {
    cwd: REPO,
    env: { NO_COLOR: "1" },
  });
  cli.closeStdin();
  await waitFor(() => cli.stdout().includes("tick 2") || cli.child.exitCode !== null, 20_000);
  if (cli.child.exitCode !== null) {
    const early = await cli.done;
    assert.fail(`the flow ended before it was interrupted (${early.code}): ${early.stderr}`);
  }
  cli.kill("SIGINT");
  const { code, stdout, stderr } = await cli.done;
  assert.equal(code, 130);
  assert.match(stdout, /tick 2\n/);
  assert.ok(stdout.endsWith("closed\n"), stdout.slice(-40));
  assert.equal(stderr, "runnel: interrupted; closing sinks (Ctrl-C again to quit at once)\n");
});

Deno.test("process: a module that runs a flow when imported is refused with a hint, before its flow reads anything", async () => {
  for (const command of ["run", "visualize"]) {
    const { code, stdout, stderr } = await spawn([command, "tests/fixtures/cli/runs_on_import.ts"]);
    assert.equal(
      stderr,
      `runnel: "tests/fixtures/cli/runs_on_import.ts" runs a flow itself while it is imported; ` +
        `runnel imports the module and runs its flow, so it would run twice\n` +
        "Export the flow and run it only when the module is the program:\n" +
        "  export const flow = new Dataflow(...);\n" +
        "  if (import.meta.main) await run(flow);\n",
      command,
    );
    assert.equal(code, 2, command);
    // Not run at all: the run the import started failed before it read its input.
    assert.equal(stdout, "", command);
  }
});

// `node ARGS` in the repository, to its end.
function nodeRun(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = nodeSpawn("node", args, {
      cwd: REPO,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk) => stdout += chunk);
    child.stderr!.on("data", (chunk) => stderr += chunk);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

Deno.test("process: on Node, `node --import tsx cli.ts run` runs a flow module, and `--import ./node_loader.mjs` runs it on Worker threads, as the README says", async () => {
  const flow = "tests/fixtures/cli/print_flow.ts";
  const node = await nodeRun(["--import", "tsx", "cli.ts", "run", flow]);
  assert.equal(node.stderr, "");
  assert.equal(node.stdout, "to:2\nbe:2\nor:2\n");
  assert.equal(node.code, 0);

  const threads = await nodeRun([
    "--import",
    "./node_loader.mjs",
    "cli.ts",
    "run",
    flow,
    "-w",
    "2",
  ]);
  assert.equal(threads.stderr, "");
  assert.deepEqual(threads.stdout.split("\n").sort(), ["", "be:2", "or:2", "to:2"]);
  assert.equal(threads.code, 0);

  // tsx does not reach Worker threads: the error says what to run instead.
  const tsx = await nodeRun(["--import", "tsx", "cli.ts", "run", flow, "-w", "2"]);
  assert.match(
    tsx.stderr,
    /^runnel: flow failed on worker \d: Node cannot load runnel's TypeScript in a Worker thread \(.*\): .*tsx registers on the main thread only\); start node with --import \/.*\/node_loader\.mjs, which does\n$/,
  );
  assert.equal(tsx.code, 1);
});
