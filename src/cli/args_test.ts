import assert from "node:assert/strict";
import { type OptionSpec, parseArgs } from "./args.ts";
import { CliError } from "./errors.ts";

const SPECS: readonly OptionSpec[] = [
  { long: "snapshot-interval", short: "s", value: "SECONDS" },
  { long: "recursive", short: "r" },
];

Deno.test("parseArgs() reads long and short options, with the value joined or apart", () => {
  for (
    const args of [
      ["--snapshot-interval", "5"],
      ["--snapshot-interval=5"],
      ["-s", "5"],
      ["-s5"],
    ]
  ) {
    const { options, positionals } = parseArgs(["flow.ts", ...args], SPECS, "run");
    assert.deepEqual(positionals, ["flow.ts"]);
    assert.equal(options.get("snapshot-interval"), "5", args.join(" "));
  }
});

Deno.test("parseArgs() sets flags, keeps the last value, and stops at --", () => {
  const { options, positionals } = parseArgs(
    ["-r", "a.ts", "-s", "1", "--snapshot-interval", "2", "--", "-s", "-"],
    SPECS,
    "run",
  );
  assert.equal(options.get("recursive"), true);
  assert.equal(options.get("snapshot-interval"), "2");
  assert.deepEqual(positionals, ["a.ts", "-s", "-"]);
});

Deno.test("parseArgs() rejects unknown options, missing values and values on flags", () => {
  const cases: [string[], RegExp][] = [
    [["--nope"], /^unknown option "--nope" for 'runnel run'$/],
    [["-x"], /^unknown option "-x"/],
    [["-rs"], /^unknown option "-rs"/],
    [
      ["--snapshot", "5"],
      /^unknown option "--snapshot" for 'runnel run'; did you mean -s\/--snapshot-interval\?$/,
    ],
    [["--recursiv"], /; did you mean -r\/--recursive\?$/],
    [["--snapshot-intervall=5"], /; did you mean -s\/--snapshot-interval\?$/],
    [["-s"], /^option -s\/--snapshot-interval needs a value \(SECONDS\)$/],
    [["--recursive=yes"], /^option -r\/--recursive takes no value, got "yes"$/],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseArgs(args, SPECS, "run"), (error: unknown) => {
      assert.ok(error instanceof CliError);
      assert.equal(error.exitCode, 2);
      assert.match(error.message, message);
      assert.equal(error.hint, "Try 'runnel run --help'.");
      return true;
    });
  }
});
