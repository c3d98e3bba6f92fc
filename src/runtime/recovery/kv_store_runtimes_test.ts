import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { KvRecoveryStore, RecoveryStoreError } from "./kv_store.ts";
import { partitionPath } from "./_partitions.ts";
import type { ResumePoint, SnapshotRow } from "./store.ts";
import { runtime, withTempDir } from "../../../tests/_runtime.ts";

const REPO = decodeURIComponent(new URL("../../../", import.meta.url).pathname);
const READER = `${REPO}tests/fixtures/recovery/read_store.ts`;

// How each runtime runs the reader, whichever runtime runs this test.
const COMMANDS: Record<"deno" | "node" | "bun", string[]> = {
  deno: ["deno", "run", "--allow-all", "--unstable-kv", READER],
  node: ["node", "--import", `${REPO}node_loader.mjs`, READER],
  bun: ["bun", READER],
};

function runReader(name: keyof typeof COMMANDS, dir: string): Promise<string> {
  const [program, ...args] = COMMANDS[name];
  return new Promise((resolve, reject) => {
    const child = spawn(program!, [...args, dir], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => stdout += chunk);
    child.stderr.on("data", (chunk) => stderr += chunk);
    child.on("error", reject);
    child.on(
      "close",
      (code) =>
        code === 0 ? resolve(stdout) : reject(new Error(`${name} exited with ${code}: ${stderr}`)),
    );
  });
}

function digest(resume: ResumePoint): string {
  const steps: Record<string, Record<string, [number, number]>> = {};
  for (const [step, keys] of resume.rows) {
    steps[step] = {};
    for (const key of [...keys.keys()].sort()) {
      const state = keys.get(key)!;
      steps[step][key] = [state.length, state.reduce((sum, b) => sum + b, 0)];
    }
  }
  return JSON.stringify({ epoch: resume.epoch, steps });
}

Deno.test(`a store written on ${runtime} opens and reads the same on Deno, Node and Bun, and they write back`, async () => {
  await withTempDir(async (dir) => {
    await KvRecoveryStore.init(dir, 3);
    const store = new KvRecoveryStore(dir);
    await store.open("f");
    const rows: SnapshotRow[] = [];
    for (let i = 0; i < 5000; i++) {
      rows.push({ step: "f.count", key: `k${i}`, state: Uint8Array.of(i & 0xff, i >> 8) });
    }
    rows.push({ step: "f.big", key: "large", state: new Uint8Array(300_000).fill(3) });
    await store.write(1, rows);
    await store.commit(1);
    await store.write(2, [{ step: "f.count", key: "k0", state: undefined }]);
    await store.commit(2);
    await store.close();

    let expected = digest(await readBack(dir));
    for (const name of ["deno", "node", "bun"] as const) {
      const printed = (await runReader(name, dir)).trim();
      assert.equal(printed, expected, `${name} read what ${runtime} wrote`);
      // It committed one more epoch with a row naming itself.
      const after = await readBack(dir);
      assert.equal(new TextDecoder().decode(after.rows.get("from")!.get(name)), name);
      expected = digest(after);
    }

    // A value another program stored with V8's serializer (Deno's `set` of a
    // string) is reported as not runnel's, naming the file, on every runtime.
    await new Promise<void>((resolve, reject) => {
      const child = spawn("deno", [
        "run",
        "--allow-all",
        "--unstable-kv",
        `${REPO}tests/fixtures/recovery/put_string.ts`,
        partitionPath(dir, 0),
      ], { cwd: REPO, stdio: "inherit" });
      child.on("error", reject);
      child.on(
        "close",
        (code) => code === 0 ? resolve() : reject(new Error(`deno exited with ${code}`)),
      );
    });
    await assert.rejects(readBack(dir), (error: unknown) => {
      assert.ok(error instanceof RecoveryStoreError, String(error));
      assert.equal(error.path, partitionPath(dir, 0));
      assert.match(
        error.message,
        /part-0\.kv is corrupt: its entry \["commit"\] holds a value of another kind \((string|object)\), not the bytes runnel writes/,
      );
      return true;
    });
  });
});

async function readBack(dir: string): Promise<ResumePoint> {
  const store = new KvRecoveryStore(dir);
  try {
    return await store.open("f");
  } finally {
    await store.close();
  }
}
