/**
 * Running `runnel` as a child process for the recovery tests, killed with
 * SIGKILL at a moment the test picks.
 *
 * @module
 */

import { type ModuleOutput, spawnModule } from "./_runtime.ts";

const REPO = decodeURIComponent(new URL("../", import.meta.url).pathname);
/** The recovery tests' flows and helpers. */
export const FIXTURES: string = `${REPO}tests/fixtures/recovery/`;
// A run that neither ends nor reaches its pause point in this long hangs.
const RUN_MS = 60_000;

/** When {@linkcode runCli} kills the run. */
export interface Kill {
  /**
   * `POINT:N` for `RUNNEL_TEST_PAUSE_AT` (see
   * `src/runtime/recovery/_pause_point.ts`): killed once the store pauses there.
   */
  pause?: string;
  /** Killed this many milliseconds after the start. */
  killAfter?: number;
  /** Left paused at `pause` until the test calls `kill()`. */
  hold?: boolean;
}

/** How a run ended. */
export interface Run {
  /** Its exit code or signal, and what it printed. */
  readonly output: ModuleOutput;
  /** Whether the test killed it (not a hang). */
  readonly killed: boolean;
}

/** Starts `runnel <args>` in `cwd`; see {@linkcode runCli}. */
export function startCli(args: string[], cwd: string, kill: Kill = {}): {
  stderr: () => string;
  kill: () => void;
  done: Promise<Run>;
} {
  const env: Record<string, string> = { NO_COLOR: "1" };
  if (kill.pause !== undefined) env.RUNNEL_TEST_PAUSE_AT = kill.pause;
  const cli = spawnModule(`${REPO}cli.ts`, args, {
    cwd,
    env,
    denoFlags: ["--allow-all", "--unstable-kv"],
  });
  cli.closeStdin();
  let stderr = "";
  cli.child.stderr!.on(
    "data",
    (chunk: Uint8Array) => void (stderr += new TextDecoder().decode(chunk)),
  );
  let killed = false;
  const killNow = () => {
    if (cli.child.exitCode === null && cli.child.signalCode === null) {
      killed = true;
      try {
        cli.kill("SIGKILL");
      } catch (error) {
        // It ended just now, before its exit was reported: not a kill.
        if ((error as { code?: string }).code !== "ESRCH") throw error;
      }
    }
  };
  const timers: ReturnType<typeof setTimeout>[] = [];
  if (kill.killAfter !== undefined) timers.push(setTimeout(killNow, kill.killAfter));
  let poll: ReturnType<typeof setInterval> | undefined;
  if (kill.pause !== undefined && !kill.hold) {
    poll = setInterval(() => {
      if (stderr.includes("runnel-test: paused at ")) killNow();
    }, 5);
  }
  timers.push(setTimeout(() => {
    killNow();
    killed = false; // a hang is a failure, not a kill the test chose
  }, RUN_MS));
  const done = cli.done.then((output) => ({
    output,
    killed: killed && output.signal === "SIGKILL",
  })).finally(() => {
    for (const timer of timers) clearTimeout(timer);
    clearInterval(poll);
  });
  return { stderr: () => stderr, kill: killNow, done };
}

/**
 * Runs `runnel <args>` in `cwd` to its end, or kills it with SIGKILL once
 * the store pauses at `kill.pause` or after `kill.killAfter` ms.
 */
export function runCli(args: string[], cwd: string, kill: Kill = {}): Promise<Run> {
  return startCli(args, cwd, kill).done;
}
