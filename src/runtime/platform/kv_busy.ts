/**
 * Waiting out a Deno KV file that is busy for a moment. A KV file is an
 * SQLite database: while another connection holds its lock (a reader such
 * as `runnel recovery inspect` beside a running flow, or the end of a run
 * whose successor opens the store) an operation can fail with "database is
 * locked" at once, without waiting for the lock. Such a refusal is retried
 * with a growing pause for up to 10 s; any other error, and a lock held
 * longer, is thrown as it came.
 *
 * @module
 */

import type { KvAtomic, KvDatabase, KvEntry, KvKey, KvListSelector } from "./platform.ts";

const RETRY_FOR_MS = 10_000;
const FIRST_PAUSE_MS = 5;
const LONGEST_PAUSE_MS = 200;

/**
 * Whether `error` is SQLite's refusal of a database another connection holds.
 *
 * @param error What an operation threw.
 * @returns Whether to try it again.
 */
export function isKvBusy(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /database is locked|SQLITE_BUSY/i.test(message);
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `operation`, again while it fails with a busy database.
 *
 * @param operation The operation; it must be safe to run again when it failed busy.
 * @returns What it returned.
 */
export async function retryKvBusy<T>(operation: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + RETRY_FOR_MS;
  for (let wait = FIRST_PAUSE_MS;; wait = Math.min(wait * 2, LONGEST_PAUSE_MS)) {
    try {
      return await operation();
    } catch (error) {
      if (!isKvBusy(error) || Date.now() >= deadline) throw error;
      await pause(wait);
    }
  }
}

// An atomic write that records its steps, so that a commit refused busy is
// made again from a fresh atomic write with the same checks and mutations.
function replayableAtomic(kv: KvDatabase): KvAtomic {
  const steps: ((atomic: KvAtomic) => KvAtomic)[] = [];
  const atomic: KvAtomic = {
    check(check) {
      steps.push((a) => a.check(check));
      return atomic;
    },
    set(key, value) {
      steps.push((a) => a.set(key, value));
      return atomic;
    },
    delete(key) {
      steps.push((a) => a.delete(key));
      return atomic;
    },
    commit: () =>
      retryKvBusy(() => steps.reduce((built, step) => step(built), kv.atomic()).commit()),
  };
  return atomic;
}

// A listing refused busy before its first entry starts again; one refused
// later is thrown, since what it yielded was already used.
async function* listRetrying(
  kv: KvDatabase,
  selector: KvListSelector,
): AsyncGenerator<KvEntry, void, undefined> {
  const deadline = Date.now() + RETRY_FOR_MS;
  for (let wait = FIRST_PAUSE_MS;; wait = Math.min(wait * 2, LONGEST_PAUSE_MS)) {
    let yielded = false;
    try {
      for await (const entry of kv.list(selector)) {
        yielded = true;
        yield entry;
      }
      return;
    } catch (error) {
      if (yielded || !isKvBusy(error) || Date.now() >= deadline) throw error;
      await pause(wait);
    }
  }
}

/**
 * Wraps a KV database so that its reads and commits wait out a busy lock.
 *
 * @param kv The database as the runtime opened it.
 * @returns The same database, retrying busy refusals.
 */
export function retryingWhenBusy(kv: KvDatabase): KvDatabase {
  return {
    get: (key: KvKey) => retryKvBusy(() => kv.get(key)),
    list: (selector) => listRetrying(kv, selector),
    atomic: () => replayableAtomic(kv),
    close: () => kv.close(),
  };
}
