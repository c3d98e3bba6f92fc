/**
 * Runs runnel's test files on Bun or on Node: the same files `deno test`
 * runs, with `Deno.test` provided by `deno_test_shim.ts`.
 *
 * ```sh
 * deno task test:bun                          # every test file, on `bun` from PATH
 * deno task test:node                         # every test file, on `node` (20+) from PATH
 * deno task test:node operators/map_test.ts   # some files
 * ```
 *
 * Needs the npm dependencies in `node_modules/` (`npm ci`). The runtime's
 * own summary closes the output. A run that skipped a test, or ran none,
 * fails.
 *
 * @module
 */

type Runtime = "bun" | "node";

const ROOT = new URL("../../", import.meta.url);
const TEST_FILE = /(^|[_.])test\.(ts|tsx|mts|js|mjs|jsx)$/;
// Per test (on Node, per file). Bun's default is 5 s, too short for the tests that
// spawn a runtime on a busy machine; Node's is none, so a hang would stall CI. The
// memory test of Worker threads runs its flow for 60 s.
const TIMEOUT_MS = 120_000;

function fail(message: string): never {
  console.error(`runnel tests: ${message}`);
  Deno.exit(1);
}

/** Every test file `deno test` would pick, relative to the root, sorted. */
async function findTestFiles(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const excluded: string[] = (config.exclude ?? []).map((dir: string) => dir.replace(/\/$/, ""));
  const files: string[] = [];
  async function walk(dir: string): Promise<void> {
    for await (const entry of Deno.readDir(new URL(dir || ".", ROOT))) {
      const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory) {
        if (entry.name === ".git" || entry.name === "node_modules") continue;
        if (excluded.includes(path)) continue;
        await walk(path);
      } else if (entry.isFile && TEST_FILE.test(entry.name)) {
        files.push(path);
      }
    }
  }
  await walk("");
  return files.sort();
}

function command(runtime: Runtime, files: string[]): string[] {
  const local = files.map((file) => `./${file}`);
  if (runtime === "bun") {
    return [
      "bun",
      "test",
      "--preload",
      "./tests/runtimes/deno_test_shim.ts",
      "--timeout",
      String(TIMEOUT_MS),
      ...local,
    ];
  }
  return [
    "node",
    "--import",
    "./node_loader.mjs",
    "--import",
    "./tests/runtimes/deno_test_shim.ts",
    "--test",
    "--test-reporter=spec",
    `--test-timeout=${TIMEOUT_MS}`,
    ...local,
  ];
}

/** Runs `args`, copying its output through, and returns its exit code and output. */
async function tee(args: string[]): Promise<{ code: number; output: string }> {
  const child = new Deno.Command(args[0]!, {
    args: args.slice(1),
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const decoder = new TextDecoder();
  let output = "";
  async function copy(stream: ReadableStream<Uint8Array>, to: typeof Deno.stdout) {
    for await (const chunk of stream) {
      output += decoder.decode(chunk, { stream: true });
      await to.write(chunk);
    }
  }
  await Promise.all([copy(child.stdout, Deno.stdout), copy(child.stderr, Deno.stderr)]);
  return { code: (await child.status).code, output };
}

/** The counts in the runtime's own summary, or `undefined` if it printed none. */
function summary(runtime: Runtime, output: string) {
  const count = (pattern: RegExp) => {
    const match = [...output.matchAll(pattern)].at(-1);
    return match === undefined ? undefined : Number(match[1]);
  };
  const passed = count(runtime === "bun" ? /^ *(\d+) pass$/gm : /^ℹ pass (\d+)$/gm);
  const failed = count(runtime === "bun" ? /^ *(\d+) fail$/gm : /^ℹ fail (\d+)$/gm);
  const skipped = count(runtime === "bun" ? /^ *(\d+) skip$/gm : /^ℹ skipped (\d+)$/gm) ?? 0;
  if (passed === undefined || failed === undefined) return undefined;
  return { passed, failed, skipped };
}

async function main(args: string[]): Promise<number> {
  const [runtime, ...only] = args;
  if (runtime !== "bun" && runtime !== "node") {
    fail(`the first argument must be "bun" or "node", got ${JSON.stringify(runtime)}`);
  }
  try {
    await Deno.stat(new URL("node_modules/ix/package.json", ROOT));
  } catch {
    fail("the npm dependencies are missing; run `npm ci` first");
  }
  const files = only.length > 0 ? only.map((f) => f.replace(/^\.\//, "")) : await findTestFiles();
  if (files.length === 0) fail("no test files found");

  const version = await new Deno.Command(runtime, { args: ["--version"] }).output()
    .catch(() => fail(`cannot run "${runtime}": is it installed and on PATH?`));
  console.log(
    `${runtime} ${new TextDecoder().decode(version.stdout).trim()}: ${files.length} files`,
  );

  const { code, output } = await tee(command(runtime, files));
  const counts = summary(runtime, output);
  if (counts === undefined) {
    console.error(`runnel tests: ${runtime} printed no summary`);
    return code === 0 ? 1 : code;
  }
  if (counts.passed + counts.failed === 0) {
    console.error(`runnel tests: ${runtime} ran no tests`);
    return 1;
  }
  if (counts.skipped > 0) {
    console.error(`runnel tests: ${runtime} skipped ${counts.skipped} tests; nothing may skip`);
    return 1;
  }
  return code;
}

Deno.exit(await main(Deno.args));
