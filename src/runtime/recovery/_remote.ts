/**
 * A recovery store on a remote Deno KV server (the `denokv` server, or any
 * KV Connect endpoint): its location is an `http:` or `https:` URL instead
 * of a directory, and it holds exactly one partition, the database at that
 * URL. Its access token comes from the environment variable
 * `DENO_KV_ACCESS_TOKEN`, which `Deno.openKv` and the `@deno/kv` package
 * both read.
 *
 * Both clients retry some failures on their own, for long or without end
 * (a server that accepts connections but never answers leaves a request
 * waiting): each operation here is bounded, and fails with an error naming
 * the URL.
 *
 * @module
 */

import type { KvAtomic, KvDatabase, KvEntry, KvKey, KvListSelector } from "../platform/platform.ts";
import { platform } from "../platform/platform.ts";
import { RecoveryStoreError } from "./store_error.ts";

/** The environment variable holding the remote server's access token. */
export const ACCESS_TOKEN_VARIABLE = "DENO_KV_ACCESS_TOKEN";

/** How long one operation on a remote store may take before it fails. */
export const REMOTE_TIMEOUT_MS = 10_000;

/** Whether a recovery store's location is a remote server's URL rather than a directory. */
export function isKvUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

const message = (error: unknown) => (error as Error)?.message ?? String(error);

/** One database at a URL: once an operation went unanswered, later ones fail at once. */
interface Remote {
  readonly url: string;
  unanswered?: RecoveryStoreError;
}

// Runs one operation on the store at `url`, failing after the timeout, and
// naming the URL in any error it throws.
async function bounded<T>(remote: Remote, what: string, operation: () => Promise<T>): Promise<T> {
  const { url } = remote;
  // A server that left one operation unanswered for the whole timeout is
  // taken for gone: releasing the lock as the run fails does not wait again.
  if (remote.unanswered !== undefined) throw remote.unanswered;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      remote.unanswered = new RecoveryStoreError(
        url,
        `The recovery store ${url} did not answer within ${
          REMOTE_TIMEOUT_MS / 1000
        } s while ${what}: is its server running and reachable?`,
      );
      reject(remote.unanswered);
    }, REMOTE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([operation(), timeout]);
  } catch (error) {
    if (error instanceof RecoveryStoreError) throw error;
    throw new RecoveryStoreError(
      url,
      `The recovery store ${url} failed while ${what}: ${message(error)}`,
      { cause: error },
    );
  } finally {
    clearTimeout(timer);
  }
}

function boundedAtomic(remote: Remote, atomic: KvAtomic): KvAtomic {
  const wrapped: KvAtomic = {
    check(check) {
      atomic.check(check);
      return wrapped;
    },
    set(key, value) {
      atomic.set(key, value);
      return wrapped;
    },
    delete(key) {
      atomic.delete(key);
      return wrapped;
    },
    commit: () => bounded(remote, "writing", () => atomic.commit()),
  };
  return wrapped;
}

async function* boundedList(
  remote: Remote,
  kv: KvDatabase,
  selector: KvListSelector,
): AsyncGenerator<KvEntry, void, undefined> {
  const entries = kv.list(selector)[Symbol.asyncIterator]();
  for (;;) {
    const next = await bounded(remote, "listing", () => entries.next());
    if (next.done) return;
    yield next.value;
  }
}

/**
 * Opens the database at `url` on the runtime's Deno KV client, with every
 * operation bounded in time and its errors naming the URL.
 *
 * @param url The server's URL.
 * @returns The database.
 * @throws {RecoveryStoreError} When the access token is not set, or the
 *   database cannot be opened.
 */
export async function openRemoteKv(url: string): Promise<KvDatabase> {
  const token = platform.env(ACCESS_TOKEN_VARIABLE);
  if (token === undefined || token === "") {
    throw new RecoveryStoreError(
      url,
      `Cannot open the recovery store ${url}: set the environment variable ` +
        `${ACCESS_TOKEN_VARIABLE} to its server's access token`,
    );
  }
  const remote: Remote = { url };
  const opening = platform.openKv(url);
  let kv: KvDatabase;
  try {
    kv = await bounded(remote, "opening it", () => opening);
  } catch (error) {
    // Opened after all, too late: not left open.
    opening.then((late) => late.close(), () => {});
    throw error;
  }
  return {
    get: (key: KvKey) => bounded(remote, "reading", () => kv.get(key)),
    list: (selector) => boundedList(remote, kv, selector),
    atomic: () => boundedAtomic(remote, kv.atomic()),
    close: () => kv.close(),
  };
}
