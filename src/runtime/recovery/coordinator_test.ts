import assert from "node:assert/strict";
import { RecoveryCoordinator } from "./coordinator.ts";

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("RecoveryCoordinator commits an epoch once every worker wrote it, in rising order", async () => {
  const commits: number[] = [];
  const coordinator = new RecoveryCoordinator(3, (epoch) => {
    commits.push(epoch);
    return Promise.resolve();
  }, (error) => assert.fail(String(error)));
  coordinator.written(0, 1);
  coordinator.written(1, 1);
  await settle();
  assert.deepEqual(commits, []);
  coordinator.written(2, 2);
  await settle();
  assert.deepEqual(commits, [1]);
  coordinator.written(0, 3);
  coordinator.written(1, 2);
  await coordinator.settled();
  assert.deepEqual(commits, [1, 2]);
  // A worker whose sinks ended holds nothing back; once all ended, the newest epoch reported.
  coordinator.finished(2);
  coordinator.finished(1);
  await coordinator.settled();
  assert.deepEqual(commits, [1, 2, 3]);
  coordinator.written(0, 4);
  coordinator.finished(0);
  await coordinator.settled();
  assert.deepEqual(commits, [1, 2, 3, 4]);
  assert.equal(coordinator.committed, 4);
});

Deno.test("RecoveryCoordinator commits only the newest of the epochs completed during a commit", async () => {
  const commits: number[] = [];
  let release: (() => void) | undefined;
  const coordinator = new RecoveryCoordinator(
    1,
    (epoch) => {
      commits.push(epoch);
      return new Promise((resolve) => release = resolve);
    },
    (error) => assert.fail(String(error)),
    10,
  );
  coordinator.written(0, 11);
  coordinator.written(0, 12);
  coordinator.written(0, 13);
  release!();
  await settle();
  release!();
  await coordinator.settled();
  assert.deepEqual(commits, [11, 13]);
});

Deno.test("RecoveryCoordinator reports a failed commit once and commits nothing after", async () => {
  const errors: unknown[] = [];
  const coordinator = new RecoveryCoordinator(
    1,
    () => Promise.reject(new Error("disk full")),
    (error) => errors.push(error),
  );
  coordinator.written(0, 1);
  await coordinator.settled();
  coordinator.written(0, 2);
  await coordinator.settled();
  assert.deepEqual(errors.map((error) => (error as Error).message), ["disk full"]);
  assert.equal(coordinator.committed, 0);
});
