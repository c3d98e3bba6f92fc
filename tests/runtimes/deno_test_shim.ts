/**
 * `Deno.test` on Bun and Node, so runnel's test files run there unchanged.
 *
 * Loaded before the test files (`bun test --preload`, `node --import`), it
 * defines a global `Deno` holding only `test`, which registers each test
 * with `bun:test` or `node:test`. Any other `Deno.*` call in a test fails
 * with a TypeError, as it should: tests reach files and processes through
 * `node:*` helpers that all three runtimes share. Nothing is skipped.
 *
 * Supported: `Deno.test(name, fn)`, `Deno.test(name, options, fn)`,
 * `Deno.test({ name, fn, ...options })` and `Deno.test(fn)`. An `ignore`d test
 * fails, as it does in CI on Deno: runnel's suites skip nothing. Not
 * supported, and an error when used: `only`, and `t.step`.
 *
 * @module
 */

/** The part of Deno's test context the shim provides. */
interface TestContext {
  name: string;
  step(): never;
}

type TestFn = (t: TestContext) => void | Promise<void>;

interface TestDefinition {
  name?: string;
  fn?: TestFn;
  ignore?: boolean;
  only?: boolean;
}

const runtime = "Bun" in globalThis ? "bun" : "node";

const register: (name: string, fn: () => Promise<void>) => void = runtime === "bun"
  ? (await import("bun:test")).test
  : (await import("node:test")).test;

function definition(
  first: string | TestDefinition | TestFn,
  second?: TestFn | Omit<TestDefinition, "name">,
  third?: TestFn,
): TestDefinition {
  if (typeof first === "function") return { name: first.name, fn: first };
  if (typeof first === "object") return first;
  if (typeof second === "function") return { name: first, fn: second };
  return { ...second, name: first, fn: third };
}

function test(
  first: string | TestDefinition | TestFn,
  second?: TestFn | Omit<TestDefinition, "name">,
  third?: TestFn,
): void {
  const { name, fn, ignore, only } = definition(first, second, third);
  if (typeof name !== "string" || name === "") {
    throw new TypeError(`Cannot register a test: it needs a name, got ${JSON.stringify(name)}`);
  }
  if (typeof fn !== "function") {
    throw new TypeError(`Cannot register test "${name}": fn must be a function, got ${typeof fn}`);
  }
  if (only) {
    throw new TypeError(`Cannot register test "${name}": "only" is not supported on ${runtime}`);
  }
  const context: TestContext = {
    name,
    step() {
      throw new TypeError(
        `Cannot run a step in test "${name}": t.step is not supported on ${runtime}`,
      );
    },
  };
  // No parameters: Bun would take one as a `done` callback.
  register(name, async () => {
    if (ignore) throw new Error(`test "${name}" is ignored; runnel's suites skip nothing`);
    await fn(context);
  });
}

Object.defineProperty(globalThis, "Deno", { value: { test }, configurable: true });
