/**
 * The crash tests' harness: `runnel run -r DIR` killed with SIGKILL at
 * random moments and at named moments of the store's protocol (during a snapshot write, after
 * the last write and before the commit, between two partitions' commit
 * markers), then resumed over the same DIR until it finishes. Every file
 * the flow's FileSinks wrote must then be byte-identical to what a run
 * without recovery and without a crash wrote.
 *
 * RUNNEL_CRASH_SEED=N replays a failed test's kill points (the seed is in
 * every failure message).
 *
 * @module
 */
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { inspectRecovery } from "../src/runtime/recovery/inspect.ts";
import { FIXTURES, type Kill, runCli } from "./_recovery_cli.ts";
import { runtime, withTempDir } from "./_runtime.ts";

/**
 * The worker count of each run, in turn. Every run of a crash sequence
 * takes the next one, so every resume rescales (on Worker threads above 1).
 */
const WORKER_COUNTS: readonly number[] = [4, 3, 1, 2];
// Node starts a process several times slower than Deno and Bun, and its
// runner gives a test file 120 s: there the same sequence of kill points
// stops after 6.
const KILLS_PER_FLOW = runtime === "node" ? 6 : 20;
// A bound on the runs of one flow: a flow that never gets killed (it always
// ends first) fails instead of looping.
const MAX_RUNS = 80;
const EPOCH_SECONDS = "0.05";
const POINTS = ["write", "commit", "commit-partial"] as const;

const seed = Number(process.env.RUNNEL_CRASH_SEED ?? Date.now() % 2 ** 31);

// A small seeded generator (mulberry32): the same seed gives the same kills.
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

async function readOutputs(dir: string, files: readonly string[]): Promise<string[]> {
  return await Promise.all(files.map((file) => readFile(join(dir, file), "utf8")));
}

/**
 * Runs `flow` (a module of tests/fixtures/recovery) once without recovery
 * for the expected outputs, then again under recovery with at least
 * KILLS_PER_FLOW kills, resuming after each; checks the outputs each time
 * a run ends.
 */
export async function crashAndResume(
  flow: string,
  inputs: Record<string, string>,
  outputs: readonly string[],
): Promise<void> {
  const next = random(seed);
  const context = `RUNNEL_CRASH_SEED=${seed}`;
  await withTempDir(async (dir) => {
    const clean = join(dir, "clean");
    const crash = join(dir, "crash");
    for (const at of [clean, crash]) {
      await mkdir(at);
      for (const [name, text] of Object.entries(inputs)) await writeFile(join(at, name), text);
    }
    const started = Date.now();
    const reference = await runCli(["run", `${FIXTURES}${flow}`, "-w", "1"], clean);
    assert.equal(reference.output.code, 0, reference.output.stderr);
    const cleanMs = Date.now() - started;
    const expected = await readOutputs(clean, outputs);
    for (const text of expected) assert.ok(text.length > 0, "the reference run wrote nothing");

    const init = await runCli(["recovery", "init", "snaps", "2"], crash);
    assert.equal(init.output.code, 0, init.output.stderr);
    let kills = 0;
    let runs = 0;
    let fresh = false;
    const pausedAt = new Set<string>();
    // What the store held after the previous run: every execution that
    // opens it next must resume from exactly this epoch.
    let committed = 0;
    let executions = 0;
    // Runs killed at a commit point past their first commit: each of them
    // committed an epoch, so the run after it cannot start from nothing.
    let afterCommit = 0;
    // Executions that resumed from a committed epoch, not from the start.
    let resumed = 0;
    const history: string[] = [];
    // Several workers feed one file in an order that differs from run to run
    // even without a crash: then the file must hold the same lines, each as
    // often (nothing lost, nothing written twice); with one worker, the same bytes.
    const asWritten = (text: string) =>
      WORKER_COUNTS.every((n) => n === 1) ? text : text.split("\n").sort().join("\n");
    const check = async () => {
      const got = await readOutputs(crash, outputs);
      for (let i = 0; i < outputs.length; i++) {
        assert.ok(
          asWritten(got[i]!) === asWritten(expected[i]!),
          `${outputs[i]} differs from the run without a crash after: ${
            history.join(", ")
          } (${context})`,
        );
      }
    };
    while (true) {
      assert.ok(runs < MAX_RUNS, `${flow}: only ${kills} kills in ${runs} runs (${context})`);
      const workers = WORKER_COUNTS[runs % WORKER_COUNTS.length]!;
      runs++;
      const args = [
        "run",
        `${FIXTURES}${flow}`,
        "-w",
        String(workers),
        "-r",
        "snaps",
        "-s",
        EPOCH_SECONDS,
      ];
      if (fresh) args.push("--fresh");
      fresh = false;
      let kill: Kill = {};
      let what = `run ${runs} (-w ${workers}) to the end`;
      if (kills < KILLS_PER_FLOW) {
        if (kills % 2 === 0) {
          const point = POINTS[(kills / 2) % POINTS.length]!;
          // A commit point's first occurrence is covered by the kills at
          // `write` and the timed ones; from the second on, the run has
          // committed before it is killed.
          const first = point === "write" ? 1 : 2;
          const pause = `${point}:${first + Math.floor(next() * (9 - first))}`;
          kill = { pause };
          what = `run ${runs} (-w ${workers}) killed at ${pause}`;
        } else {
          // From before the store opens to past a clean run's end: under
          // recovery a run takes longer, so most of these land mid-run.
          const killAfter = Math.round(next() * (2.5 * cleanMs + 300));
          kill = { killAfter };
          what = `run ${runs} (-w ${workers}) killed after ${killAfter} ms`;
        }
      }
      const run = await runCli(args, crash, kill);
      history.push(run.killed ? what : `run ${runs} (-w ${workers}) ended`);
      const report = await inspectRecovery(join(crash, "snaps"));
      // A run killed before it opened the store left no execution record.
      for (const execution of report.executions.slice(executions)) {
        if (execution.resumedFrom > 0) resumed++;
        assert.equal(
          execution.resumedFrom,
          execution.fresh ? 0 : committed,
          `execution ${execution.execution} resumed from the wrong epoch: ${
            history.join(", ")
          } (${context})`,
        );
      }
      executions = report.executions.length;
      committed = report.committedEpoch;
      if (run.killed) {
        if (kill.pause !== undefined) {
          const [point] = kill.pause.split(":");
          pausedAt.add(point!);
          if (point !== "write") afterCommit++;
        }
        kills++;
        continue;
      }
      assert.equal(
        run.output.code,
        0,
        `${what} failed: ${run.output.stderr} (${context}; ${history.join(", ")})`,
      );
      await check();
      if (kills >= KILLS_PER_FLOW) break;
      // Ended before its kill: start over, so the next kills land mid-run again.
      fresh = true;
      history.push("--fresh");
    }
    // Each named moment was reached and killed at least once.
    assert.deepEqual(
      [...pausedAt].sort(),
      [...POINTS].sort(),
      `${history.join(", ")} (${context})`,
    );
    // The kills landed mid-run: the runs after a kill at a commit point
    // (and, most times, several after a timed kill) resumed from a
    // committed epoch, not from the start.
    assert.ok(
      resumed >= afterCommit && afterCommit > 0,
      `${resumed} of ${runs} runs resumed from a committed epoch, ${afterCommit} runs were killed after a commit: ${
        history.join(", ")
      } (${context})`,
    );
  });
}

/** Lines of 8 words of a vocabulary of 3,000, from the seed. */
export function wordcountInput(): string {
  const next = random(seed ^ 0x5eed);
  const lines: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    const words = Array.from({ length: 8 }, () => `w${Math.floor(next() * 3_000)}`);
    lines.push(words.join(" "));
  }
  return lines.join("\n") + "\n";
}

/** Lines "SECONDS USER KIND" 10 s apart for 50 users, from the seed. */
export function eventsInput(): string {
  const next = random(seed ^ 0xe7e7);
  const kinds = ["click", "click", "buy", "view"];
  const lines: string[] = [];
  for (let i = 0; i < 12_000; i++) {
    lines.push(`${i * 10} u${Math.floor(next() * 50)} ${kinds[Math.floor(next() * 4)]}`);
  }
  return lines.join("\n") + "\n";
}
