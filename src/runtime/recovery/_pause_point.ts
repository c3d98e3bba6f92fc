/**
 * A hook for the crash tests only: with `RUNNEL_TEST_PAUSE_AT=POINT:N` in
 * the environment, the N-th time a {@linkcode KvRecoveryStore} reaches
 * `POINT` it prints `runnel-test: paused at POINT N` to standard error and
 * never goes on, so a test can `kill -9` the process at exactly that moment.
 * The points are `write` (one partition's segments of an epoch are written,
 * the other partitions' may not be), `commit` (every write of the epoch is
 * done, no commit marker is written yet) and `commit-partial` (partition 0's
 * marker is written, the others' are not). Unset, as it always is outside
 * tests, this costs one comparison per call.
 *
 * @module
 */

import { envFlag } from "../platform/env_flag.ts";

/** The named moments a crash test can stop the store at. */
export type PausePoint = "write" | "commit" | "commit-partial";

// Read once, at the first pause point, without a permission prompt.
let setting: RegExpMatchArray | null | undefined;
const counts = new Map<string, number>();

/** Resolves at once, except at the chosen occurrence of `point`, where it never does. */
export function testPause(point: PausePoint): Promise<void> {
  if (setting === undefined) {
    setting = envFlag("RUNNEL_TEST_PAUSE_AT")?.match(/^(write|commit|commit-partial):(\d+)$/) ??
      null;
  }
  if (setting === null || setting[1] !== point) return Promise.resolve();
  const n = (counts.get(point) ?? 0) + 1;
  counts.set(point, n);
  if (n !== Number(setting[2])) return Promise.resolve();
  console.error(`runnel-test: paused at ${point} ${n}`);
  return new Promise(() => {});
}
