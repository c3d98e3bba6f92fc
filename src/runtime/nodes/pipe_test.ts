import assert from "node:assert/strict";
import { filter as ixFilter } from "ix/asynciterable/operators";
import { StepError } from "../../dataflow/errors.ts";
import type { PipeNode } from "../../dataflow/graph.ts";
import { Barrier, type Message, Watermark } from "../message.ts";
import { pipeStep } from "./pipe.ts";
import { toArray } from "../../../operators/to_array.ts";

type Transformer = (source: AsyncIterable<unknown>) => AsyncIterable<unknown>;

function pipeNode(transformer: Transformer): PipeNode {
  return { kind: "pipe", path: "f.p", up: undefined as never, transformer };
}

/** A runtime stream of `messages`, recording whether it was closed. */
function messages(list: readonly Message[]): {
  input: AsyncIterable<Message>;
  state: { closed: boolean; read: number };
} {
  const state = { closed: false, read: 0 };
  async function* generate(): AsyncGenerator<Message> {
    try {
      for (const message of list) {
        await Promise.resolve();
        state.read++;
        yield message;
      }
    } finally {
      state.closed = true;
    }
  }
  return { input: generate(), state };
}

/** Items as themselves, one per entry; controls as strings. */
function flatten(out: readonly Message[]): unknown[] {
  return out.flatMap((m) =>
    m instanceof Barrier ? [`barrier ${m.epoch}`] : m instanceof Watermark ? [`wm ${m.time}`] : m
  );
}

async function* identity(source: AsyncIterable<unknown>): AsyncGenerator<unknown> {
  for await (const item of source) yield item;
}

const INPUT: Message[] = [
  [1, 2],
  new Barrier(1),
  [3],
  new Watermark(100),
  new Barrier(2),
  [4, 5],
  new Barrier(3),
];

Deno.test("pipeStep() with an identity transformer keeps items and controls in input order", async () => {
  const { input } = messages(INPUT);
  const out = await toArray(pipeStep(pipeNode(identity), input));
  assert.deepEqual(flatten(out), [1, 2, "barrier 1", 3, "wm 100", "barrier 2", 4, 5, "barrier 3"]);
  assert.ok(out.every((m) => !Array.isArray(m) || m.length === 1), "expected one item per batch");
});

Deno.test("pipeStep() forwards controls even when the transformer drops every item", async () => {
  const dropAll: Transformer = async function* (source) {
    for await (const item of source) if (item === "never") yield item;
  };
  const { input } = messages(INPUT);
  const out = await toArray(pipeStep(pipeNode(dropAll), input));
  assert.deepEqual(flatten(out), ["barrier 1", "wm 100", "barrier 2", "barrier 3"]);
});

Deno.test("pipeStep() forwards controls through an ix filter that drops every item", async () => {
  const { input } = messages(INPUT);
  const out = await toArray(pipeStep(pipeNode(ixFilter(() => false)), input));
  assert.deepEqual(flatten(out), ["barrier 1", "wm 100", "barrier 2", "barrier 3"]);
});

Deno.test("pipeStep() forwards a control when the transformer next asks for input", async () => {
  // Pairs up items: the pair [1, 2] is yielded only after item 2 was asked for,
  // which is after barrier 1 came through.
  const pairs: Transformer = async function* (source) {
    let held: unknown[] = [];
    for await (const item of source) {
      held.push(item);
      if (held.length === 2) {
        yield held;
        held = [];
      }
    }
  };
  const { input } = messages([[1], new Barrier(1), [2], new Barrier(2), [3, 4], new Barrier(3)]);
  const out = await toArray(pipeStep(pipeNode(pairs), input));
  assert.deepEqual(flatten(out), ["barrier 1", [1, 2], "barrier 2", [3, 4], "barrier 3"]);
});

Deno.test("pipeStep() of an empty input yields nothing; of controls only, the controls", async () => {
  assert.deepEqual(await toArray(pipeStep(pipeNode(identity), messages([]).input)), []);
  const out = await toArray(
    pipeStep(pipeNode(identity), messages([new Barrier(1), [], new Barrier(2)]).input),
  );
  assert.deepEqual(flatten(out), ["barrier 1", "barrier 2"]);
});

Deno.test("pipeStep() closes its input when the transformer stops early", async () => {
  const takeOne: Transformer = async function* (source) {
    for await (const item of source) {
      yield item;
      return;
    }
  };
  const { input, state } = messages(INPUT);
  const out = await toArray(pipeStep(pipeNode(takeOne), input));
  assert.deepEqual(flatten(out), [1]);
  assert.equal(state.closed, true);
});

Deno.test("pipeStep() closes the transformer and its input when its consumer stops early", async () => {
  let transformerClosed = false;
  const watched: Transformer = async function* (source) {
    try {
      yield* source;
    } finally {
      transformerClosed = true;
    }
  };
  const { input, state } = messages(INPUT);
  for await (const message of pipeStep(pipeNode(watched), input)) {
    assert.deepEqual(message, [1]);
    break;
  }
  assert.equal(transformerClosed, true);
  assert.equal(state.closed, true);
});

Deno.test("pipeStep() wraps a transformer error in a StepError naming the step", async () => {
  const error = new Error("boom");
  const failing: Transformer = async function* (source) {
    for await (const item of source) {
      if (item === 3) throw error;
      yield item;
    }
  };
  const { input, state } = messages(INPUT);
  const seen: unknown[] = [];
  await assert.rejects(
    async () => {
      for await (const message of pipeStep(pipeNode(failing), input)) seen.push(message);
    },
    (e: unknown) => e instanceof StepError && e.stepId === "f.p" && e.cause === error,
  );
  assert.deepEqual(flatten(seen as Message[]), [1, 2, "barrier 1"]);
  assert.equal(state.closed, true);
});

Deno.test("pipeStep() wraps a transformer that throws when called", async () => {
  const error = new Error("bad setup");
  const { input } = messages(INPUT);
  await assert.rejects(
    toArray(pipeStep(
      pipeNode(() => {
        throw error;
      }),
      input,
    )),
    (e: unknown) => e instanceof StepError && e.stepId === "f.p" && e.cause === error,
  );
});

Deno.test("pipeStep() passes an input error through unchanged", async () => {
  const error = new StepError("f.up", "mapper threw");
  async function* failingInput(): AsyncGenerator<Message> {
    yield [1];
    throw error;
  }
  await assert.rejects(
    toArray(pipeStep(pipeNode(identity), failingInput())),
    (e: unknown) => e === error,
  );
});
