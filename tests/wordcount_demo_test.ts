import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);
const expected = await Deno.readTextFile(new URL("tests/wordcount_expected.txt", root));

async function runDeno(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

Deno.test("the wordcount demo prints the tutorial's 30 word counts, sorted by word", async () => {
  const { code, stdout, stderr } = await runDeno(["run", "--allow-read", "examples/wordcount.ts"]);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, expected);
  const lines = stdout.trimEnd().split("\n");
  assert.equal(lines.length, 30);
  assert.equal(lines[0], `["'tis", 1]`);
  assert.ok(lines.includes(`["the", 3]`));
  assert.ok(lines.includes(`["to", 4]`));
});

Deno.test("runnel run examples/wordcount.ts prints the same 30 lines", async () => {
  const { code, stdout, stderr } = await runDeno([
    "run",
    "-A",
    "cli.ts",
    "run",
    "examples/wordcount.ts",
  ]);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, expected);
});
