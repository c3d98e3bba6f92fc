/**
 * The stateless-step compiler: the one place that turns the graph's
 * per-item stage data ({@linkcode ItemStage}) and per-item keyed folds
 * ({@linkcode ItemKeyedFold}) into functions over whole batches.
 *
 * A run of one or more stages becomes one generated loop that makes one
 * output array per batch, with each stage's callback at its own call site.
 * V8 shares type feedback among all closures of one function literal, so a
 * shared loop calling every step's callback turns megamorphic past a few
 * steps; a generated loop per step (or per run of steps) keeps each call
 * monomorphic and inlinable. Where code generation is refused (a strict
 * Content Security Policy, `--disallow-code-generation-from-strings`) or
 * turned off (`RUNNEL_CODEGEN=0`), a plain interpreter runs the same stages
 * with the same results and errors; only speed differs.
 *
 * Generated code sees only its parameters: callbacks and error reporters are
 * passed in arrays and named by index, never by step path, so nothing a user
 * chose is ever part of generated source.
 *
 * @module
 */

import { callbackError, foldError, isIterable, shapeError } from "../dataflow/_errors.ts";
import type {
  BatchFn,
  ItemKeyedFold,
  ItemStage,
  ItemStageKind,
  KeyedFold,
} from "../dataflow/graph.ts";
import { envFlag } from "./platform/env_flag.ts";

/** A stage and the path of the step it came from. */
export interface PathStage {
  /** The step path, for errors. */
  readonly path: string;
  /** The stage. */
  readonly stage: ItemStage;
}

/** How to compile. */
export interface CompileOptions {
  /**
   * Whether to generate code; by default, unless the environment variable
   * `RUNNEL_CODEGEN` is `0`. Either way the results are the same.
   */
  codegen?: boolean;
}

let codegenDefault: boolean | undefined;

/** Whether code generation is on by default: unless `RUNNEL_CODEGEN=0`. */
export function codegenByDefault(): boolean {
  codegenDefault ??= envFlag("RUNNEL_CODEGEN") !== "0";
  return codegenDefault;
}

// Reused per step (path and shape), so a flow run again runs warm code.
const factories = new Map<string, ((...args: unknown[]) => unknown) | null>();
let generated = 0;

/**
 * Makes a function from `params` and `body`, once per `key`; `undefined`
 * where code generation is refused. Each function is compiled apart (a
 * counter in a comment keeps engines from sharing one compiled copy, and
 * its type feedback, between equal sources).
 */
function generate(
  key: string,
  params: readonly string[],
  body: string,
): ((...args: unknown[]) => unknown) | undefined {
  let factory = factories.get(key);
  if (factory === undefined) {
    try {
      factory = new Function(...params, `"use strict"; // ${generated++}\n${body}`) as (
        ...args: unknown[]
      ) => unknown;
    } catch (error) {
      // CSP and --disallow-code-generation-from-strings throw an EvalError.
      if (!(error instanceof EvalError)) throw error;
      factory = null;
    }
    factories.set(key, factory);
  }
  return factory ?? undefined;
}

const KEYED = "a [key, value] pair with a string key";

/** What a stage's result must be, for its `TypeError`. */
function expectedResult(stage: ItemStage): string {
  switch (stage.kind) {
    case "filter":
    case "filterValue":
      return `the ${stage.what} to return a boolean`;
    case "flatMap":
    case "flatMapValue":
      return `the ${stage.what} to return an iterable`;
    case "flatten":
      return "every item to be iterable";
    case "keyOn":
      return `the ${stage.what} to return a string`;
    default:
      return "";
  }
}

/** The error reporters of a run of stages, by stage index. */
function reporters(stages: readonly PathStage[]) {
  return {
    // A throw from stage `j` given `item`; runnel's own errors pass as they are.
    fail: (j: number, item: unknown, error: unknown): Error =>
      callbackError(stages[j]!.path, stages[j]!.stage.what, item, error),
    // Stage `j`'s callback returned what it must not.
    bad: (j: number, value: unknown): Error =>
      shapeError(stages[j]!.path, expectedResult(stages[j]!.stage), value),
    // Stage `j` was given an item that is not a `[key, value]` pair.
    unkeyed: (j: number, item: unknown): Error => shapeError(stages[j]!.path, KEYED, item),
  };
}

// --- code generation -------------------------------------------------------

const ONE_TO_ONE: ReadonlySet<ItemStageKind> = new Set([
  "map",
  "inspect",
  "keyOn",
  "keyRm",
  "mapValue",
]);

const MANY: ReadonlySet<ItemStageKind> = new Set(["flatMap", "flatten", "flatMapValue"]);

const KEYED_KINDS: ReadonlySet<ItemStageKind> = new Set([
  "keyRm",
  "mapValue",
  "filterValue",
  "filterMapValue",
  "flatMapValue",
]);

/**
 * The code of stages `j` onwards for the current value `v`, ending with
 * `last`. `drop` is what a filter does with a rejected value.
 *
 * Each callback call has a `try` of its own, which reports a throw as its
 * stage's with the value it was given. (One `try` around the loop would
 * need the stage noted before every call, and those stores cost more than
 * the rest of a short stage.)
 */
function stagesCode(
  kinds: readonly ItemStageKind[],
  j: number,
  last: string,
  drop: string,
): string {
  if (j === kinds.length) return last;
  const kind = kinds[j]!;
  const f = `f${j}`;
  const lines: string[] = [];
  // `code`, a throw from it reported as stage j's on the value it was given.
  const guard = (code: string) => `try { ${code} } catch (error) { throw fail(${j}, v, error); }`;
  if (KEYED_KINDS.has(kind)) {
    lines.push(
      `if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== "string") throw unkeyed(${j}, v);`,
    );
  }
  // A verdict: `true` keeps, `false` drops, anything else is a TypeError.
  const verdict = (call: string) =>
    `${guard(`k = ${call};`)} if (k !== true) { if (k === false) { ${drop} } throw bad(${j}, k); }`;
  // Each value of an iterable result `r`, down the rest of the run.
  const each = (result: string | undefined, value: string) => {
    const r = `r${j}`, q = `q${j}`;
    return `${result === undefined ? `${r} = v;` : guard(`${r} = ${result};`)}
if (!Array.isArray(${r})) { if (isIterable(${r})) { ${
      guard(`${r} = Array.from(${r});`)
    } } else throw bad(${j}, ${r}); }
for (let ${q} = 0; ${q} < ${r}.length; ${q}++) {
v = ${value.replace("@", `${r}[${q}]`)};
${stagesCode(kinds, j + 1, last, "continue;")}
}`;
  };
  switch (kind) {
    case "map":
      lines.push(guard(`v = ${f}(v);`));
      break;
    case "inspect":
      lines.push(guard(`${f}(v);`));
      break;
    case "filter":
      lines.push(verdict(`${f}(v)`));
      break;
    case "filterMap":
      lines.push(`${guard(`w = ${f}(v);`)} if (w === undefined || w === null) { ${drop} } v = w;`);
      break;
    case "keyOn":
      lines.push(
        `${guard(`k = ${f}(v);`)} if (typeof k !== "string") throw bad(${j}, k); v = [k, v];`,
      );
      break;
    case "keyRm":
      lines.push(`v = v[1];`);
      break;
    case "mapValue":
      lines.push(`${guard(`w = ${f}(v[1]);`)} v = [v[0], w];`);
      break;
    case "filterValue":
      lines.push(verdict(`${f}(v[1])`));
      break;
    case "filterMapValue":
      lines.push(
        `${guard(`w = ${f}(v[1]);`)} if (w === undefined || w === null) { ${drop} } v = [v[0], w];`,
      );
      break;
    case "flatMap":
      return [...lines, each(`${f}(v)`, "@")].join("\n");
    case "flatten":
      return [...lines, each(undefined, "@")].join("\n");
    case "flatMapValue":
      lines.push(`c${j} = v[0];`);
      return [...lines, each(`${f}(v[1])`, `[c${j}, @]`)].join("\n");
  }
  lines.push(stagesCode(kinds, j + 1, last, drop));
  return lines.join("\n");
}

/** The source of a batch loop over `stages`; with `split`, rejected items go to `rest`. */
function runSource(kinds: readonly ItemStageKind[], split: boolean): string {
  const n = kinds.length;
  const oneToOne = !split && kinds.every((kind) => ONE_TO_ONE.has(kind));
  // At most one output per item: the output is made at the batch's length and
  // cut to size at the end, instead of grown (and copied) push by push.
  const atMostOne = !split && !oneToOne && kinds.every((kind) => !MANY.has(kind));
  const locals = ["n = 0", "v", "w", "k"];
  for (let j = 0; j < n; j++) locals.push(`r${j}`, `c${j}`);
  const callbacks = kinds.map((_, j) => `f${j} = f[${j}]`).join(", ");
  const drop = split ? "rest.push(batch[i]); continue;" : "continue;";
  const last = oneToOne ? "out[i] = v;" : atMostOne ? "out[n++] = v;" : "out.push(v);";
  const sized = oneToOne || atMostOne;
  return `const ${callbacks};
return (batch) => {
  const out = ${sized ? "new Array(batch.length)" : "[]"};${split ? "\n  const rest = [];" : ""}
  let ${locals.join(", ")};
  for (let i = 0; i < batch.length; i++) {
    v = batch[i];
${stagesCode(kinds, 0, last, drop)}
  }${atMostOne ? "\n  out.length = n;" : ""}
  return ${split ? "[out, rest]" : "out"};
};`;
}

const RUN_PARAMS = ["f", "fail", "bad", "unkeyed", "isIterable"];

function generatedRun(stages: readonly PathStage[], split: boolean): unknown | undefined {
  const kinds = stages.map(({ stage }) => stage.kind);
  const key = `${split ? "split" : "run"}\0${stages.map(({ path }) => path).join("\0")}\0${kinds}`;
  const make = generate(key, RUN_PARAMS, runSource(kinds, split));
  if (make === undefined) return undefined;
  const { fail, bad, unkeyed } = reporters(stages);
  return make(stages.map(({ stage }) => stage.fn), fail, bad, unkeyed, isIterable);
}

// --- the interpreter -------------------------------------------------------

/**
 * Runs `stages` from `j` on `v`, pushing what comes out onto `out`; a
 * rejected value goes to `rejected` when given. The reference for what the
 * generated code does.
 */
function interpretFrom(
  stages: readonly PathStage[],
  report: ReturnType<typeof reporters>,
  j: number,
  v: unknown,
  out: unknown[],
  rejected?: unknown[],
  item: unknown = v,
): void {
  for (; j < stages.length; j++) {
    const { kind, fn } = stages[j]!.stage;
    const call = (arg: unknown): unknown => {
      try {
        return fn!(arg);
      } catch (error) {
        throw report.fail(j, v, error);
      }
    };
    const keyed = (): [string, unknown] => {
      if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== "string") {
        throw report.unkeyed(j, v);
      }
      return v as [string, unknown];
    };
    const verdict = (k: unknown): boolean => {
      if (k === true || k === false) return k;
      throw report.bad(j, k);
    };
    const each = (result: unknown): unknown[] => {
      if (Array.isArray(result)) return result;
      if (!isIterable(result)) throw report.bad(j, result);
      try {
        return Array.from(result);
      } catch (error) {
        throw report.fail(j, v, error);
      }
    };
    switch (kind) {
      case "map":
        v = call(v);
        break;
      case "inspect":
        call(v);
        break;
      case "filter":
        if (!verdict(call(v))) return void rejected?.push(item);
        break;
      case "filterMap": {
        const w = call(v);
        if (w === undefined || w === null) return;
        v = w;
        break;
      }
      case "keyOn": {
        const k = call(v);
        if (typeof k !== "string") throw report.bad(j, k);
        v = [k, v];
        break;
      }
      case "keyRm":
        v = keyed()[1];
        break;
      case "mapValue": {
        const [key, value] = keyed();
        v = [key, call(value)];
        break;
      }
      case "filterValue":
        if (!verdict(call(keyed()[1]))) return;
        break;
      case "filterMapValue": {
        const [key, value] = keyed();
        const w = call(value);
        if (w === undefined || w === null) return;
        v = [key, w];
        break;
      }
      case "flatMap":
        for (const w of each(call(v))) interpretFrom(stages, report, j + 1, w, out);
        return;
      case "flatten":
        for (const w of each(v)) interpretFrom(stages, report, j + 1, w, out);
        return;
      case "flatMapValue": {
        const [key, value] = keyed();
        for (const w of each(call(value))) interpretFrom(stages, report, j + 1, [key, w], out);
        return;
      }
    }
  }
  out.push(v);
}

// --- stages ----------------------------------------------------------------

/**
 * Compiles a run of stages into one batch function: with one stage, that
 * step's own loop; with more, the steps fused. A failing callback is
 * reported with its own step's path and the value it was given; a result of
 * the wrong shape is the same `TypeError` as when the step runs alone.
 *
 * @param stages One or more stages, upstream first.
 * @param options Whether to generate code.
 * @returns The batch function; it never mutates its input.
 */
export function compileStages(
  stages: readonly PathStage[],
  options: CompileOptions = {},
): BatchFn {
  if (options.codegen ?? codegenByDefault()) {
    const fn = generatedRun(stages, false) as BatchFn | undefined;
    if (fn !== undefined) return fn;
  }
  const report = reporters(stages);
  return (batch) => {
    const out: unknown[] = [];
    for (let i = 0; i < batch.length; i++) interpretFrom(stages, report, 0, batch[i], out);
    return out;
  };
}

/**
 * Compiles a split by a predicate (the branch step): the items it accepts,
 * then the rest, with the filter's rule for its verdict.
 *
 * @param path The step path.
 * @param predicate The user's predicate.
 * @param options Whether to generate code.
 * @returns A function from a batch to `[trues, falses]`.
 */
export function compileSplit(
  path: string,
  predicate: (item: unknown) => unknown,
  options: CompileOptions = {},
): (batch: readonly unknown[]) => [unknown[], unknown[]] {
  const stages: PathStage[] = [{
    path,
    stage: { kind: "filter", fn: predicate, what: "predicate" },
  }];
  if (options.codegen ?? codegenByDefault()) {
    const fn = generatedRun(stages, true) as
      | ((batch: readonly unknown[]) => [unknown[], unknown[]])
      | undefined;
    if (fn !== undefined) return fn;
  }
  const report = reporters(stages);
  return (batch) => {
    const trues: unknown[] = [];
    const falses: unknown[] = [];
    for (let i = 0; i < batch.length; i++) {
      interpretFrom(stages, report, 0, batch[i], trues, falses);
    }
    return [trues, falses];
  };
}

// --- keyed folds -----------------------------------------------------------

/** The state of a compiled fold: each key's state, and the keys changed since the last snapshot. */
type FoldStates = Map<string, unknown> & { changes?: Set<string> };

type FoldBatch = KeyedFold<FoldStates>["onBatch"];

const FOLD_SOURCE = `const fold = f[0];
return (states, batch, out, side) => {
  const changes = states.changes;
  let i = 0;
  try {
    for (; i < batch.length; i++) {
      const item = batch[i];
      if (!Array.isArray(item) || item.length !== 2 || typeof item[0] !== "string") {
        throw unkeyed(item);
      }
      const key = item[0];
      const state = states.get(key);
      const next = fold(state, item[1], key, out, side);
      if (changes !== undefined) changes.add(key);
      if (next !== state) {
        if (next === undefined) states.delete(key);
        else states.set(key, next);
      }
    }
  } catch (error) {
    throw fail(batch[i], error);
  }
};`;

/**
 * Compiles a per-item keyed fold into a batch-level {@linkcode KeyedFold}
 * over one map from key to state: a non-keyed item is a `TypeError` naming
 * the step; a throw from the fold or its end-of-input callback becomes a
 * `StepError` naming the callback, the key and the value.
 *
 * @param path The step path.
 * @param itemFold The fold.
 * @param options Whether to generate code.
 * @returns The fold, batch by batch.
 */
export function compileFold(
  path: string,
  itemFold: ItemKeyedFold,
  options: CompileOptions = {},
): KeyedFold<FoldStates> {
  const fail = (item: unknown, error: unknown) => foldError(path, itemFold.what, item, error);
  const unkeyed = (item: unknown) => shapeError(path, KEYED, item);
  const { step, eof } = itemFold;
  let onBatch: FoldBatch | undefined;
  if (options.codegen ?? codegenByDefault()) {
    const make = generate(`fold\0${path}`, ["f", "fail", "unkeyed"], FOLD_SOURCE);
    onBatch = make?.([step], fail, unkeyed) as FoldBatch | undefined;
  }
  onBatch ??= (states, batch, out, side) => {
    const changes = states.changes;
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i];
      if (!Array.isArray(item) || item.length !== 2 || typeof item[0] !== "string") {
        throw unkeyed(item);
      }
      const key: string = item[0];
      const state = states.get(key);
      let next: unknown;
      try {
        next = step(state, item[1], key, out, side);
      } catch (error) {
        throw fail(item, error);
      }
      changes?.add(key);
      if (next !== state) {
        if (next === undefined) states.delete(key);
        else states.set(key, next);
      }
    }
  };
  // With `changes` (recovery on), the fold adds each key it folds into them.
  const init = (_ctx: unknown, _timers: unknown, changes?: Set<string>): FoldStates =>
    changes === undefined ? new Map() : Object.assign(new Map(), { changes });
  const recovery = {
    snapshotKey: (states: FoldStates, key: string) => states.get(key),
    restoreKey: (states: FoldStates, key: string, snapshot: unknown) => {
      states.set(key, snapshot);
    },
  };
  if (eof === undefined) return { init, onBatch, ...recovery };
  return {
    init,
    onBatch,
    ...recovery,
    onEof(states, out) {
      for (const key of [...states.keys()].sort()) {
        try {
          eof(states.get(key), key, out);
        } catch (error) {
          throw fail([key, undefined], error);
        }
      }
    },
  };
}
