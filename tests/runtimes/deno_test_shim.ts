/**
 * `Deno.test` on Bun and Node, so runnel's test files run there unchanged.
 *
 * Loaded before the test files (`bun test --preload`, `node --import`), it
 * defines a global `Deno` holding only `test`, which registers each test
 * with `bun:test` or `node:test`. Any other `Deno.*` call in a test fails
 * with a TypeError, as it should: tests reach files and processes through
 * `node:*` helpers that all three runtimes share. A test named in
 * `excluded.ts` for this runtime is registered as skipped, with its reason.
 *
 * Supported: `Deno.test(name, fn)`, `Deno.test(name, options, fn)`,
 * `Deno.test({ name, fn, ...options })` and `Deno.test(fn)`, with `ignore`
 * (a skip, which the runner counts). Not supported, and an error when used:
 * `only`, and `t.step`.
 *
 * @module
 */

import { exclusionReason, type Runtime } from "./excluded.ts";

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

type Register = (name: string, fn: () => Promise<void>, skip: string | undefined) => void;

const runtime: Runtime = "Bun" in globalThis ? "bun" : "node";

async function registrar(): Promise<Register> {
  if (runtime === "bun") {
    const { test } = await import("bun:test");
    return (name, fn, skip) => {
      if (skip === undefined) test(name, fn);
      else test.skip(`${name} (skipped: ${skip})`, fn);
    };
  }
  const { test } = await import("node:test");
  return (name, fn, skip) => {
    if (skip === undefined) test(name, fn);
    else test(name, { skip }, fn);
  };
}

const register = await registrar();

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
  const skip = exclusionReason(runtime, name) ?? (ignore ? "ignore: true" : undefined);
  // No parameters: Bun would take one as a `done` callback.
  register(name, async () => await fn(context), skip);
}

Object.defineProperty(globalThis, "Deno", { value: { test }, configurable: true });
