/**
 * `runnel recovery init DIR N` and `runnel recovery inspect DIR [--json]`;
 * DIR may be a remote server's URL (`runnel recovery init URL`).
 *
 * @module
 */

import { KvRecoveryStore, RecoveryStoreError } from "../runtime/recovery/kv_store.ts";
import { formatRecoveryReport, inspectRecovery } from "../runtime/recovery/inspect.ts";
import { isKvUrl } from "../runtime/recovery/_remote.ts";
import { parseArgs } from "./args.ts";
import { resolvePath } from "./load_flow.ts";
import { CliError } from "./errors.ts";
import { RECOVERY_HELP } from "./help.ts";
import type { CliIo } from "./io.ts";

const HINT = "Try 'runnel recovery --help'.";

// A store that cannot be used is the store's fault, not the command line's: exit 1.
async function storeErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof RecoveryStoreError) {
      throw new CliError(error.message, { exitCode: 1, cause: error });
    }
    throw error;
  }
}

/**
 * Runs `runnel recovery …`.
 *
 * @param args The arguments after `recovery`.
 * @param io The process services.
 * @returns The exit code.
 */
export async function recoveryCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === "--help" || sub === "-h") {
    await (sub === undefined ? io.stderr(RECOVERY_HELP) : io.stdout(RECOVERY_HELP));
    return sub === undefined ? 2 : 0;
  }
  if (sub === "init") {
    const { positionals, options } = parseArgs(
      rest,
      [{ long: "help", short: "h" }],
      "recovery init",
    );
    if (options.has("help")) {
      await io.stdout(RECOVERY_HELP);
      return 0;
    }
    // A store on a server is one partition: its count may be left out.
    const remote = positionals.length >= 1 && isKvUrl(positionals[0]!);
    if (positionals.length !== 2 && !(remote && positionals.length === 1)) {
      throw new CliError(
        `'runnel recovery init' takes a directory and a partition count, as in 'runnel recovery init snapshots 4', or a server's URL, as in 'runnel recovery init http://127.0.0.1:4512'; got ${positionals.length} argument${
          positionals.length === 1 ? "" : "s"
        }`,
        { hint: HINT },
      );
    }
    const [dir, count = "1"] = positionals as [string, string?];
    if (remote && count !== "1") {
      throw new CliError(
        `a recovery store on a server is one partition, the database at ${dir}; got a partition count of "${count}"`,
        { hint: HINT },
      );
    }
    if (!/^\d+$/.test(count) || Number(count) < 1 || Number(count) > 10_000) {
      throw new CliError(
        `the partition count must be a whole number from 1 to 10000, got "${count}"`,
        { hint: HINT },
      );
    }
    const path = resolvePath(io.cwd(), dir);
    await storeErrors(() => KvRecoveryStore.init(path, Number(count)));
    await io.stdout(
      remote
        ? `Created recovery store ${dir}: 1 partition (the database at that URL)\n`
        : `Created recovery store ${dir}: ${count} partition${count === "1" ? "" : "s"} ` +
          (count === "1" ? "(part-0.kv)\n" : `(part-0.kv … part-${Number(count) - 1}.kv)\n`),
    );
    return 0;
  }
  if (sub === "inspect") {
    const { positionals, options } = parseArgs(
      rest,
      [{ long: "json" }, { long: "help", short: "h" }],
      "recovery inspect",
    );
    if (options.has("help")) {
      await io.stdout(RECOVERY_HELP);
      return 0;
    }
    if (positionals.length !== 1) {
      throw new CliError(
        `'runnel recovery inspect' takes one directory, as in 'runnel recovery inspect snapshots'; got ${positionals.length} arguments`,
        { hint: HINT },
      );
    }
    const report = await storeErrors(() => inspectRecovery(resolvePath(io.cwd(), positionals[0]!)));
    await io.stdout(
      formatRecoveryReport({ ...report, dir: positionals[0]! }, { json: options.has("json") }),
    );
    return 0;
  }
  throw new CliError(`unknown recovery command "${sub}"; commands: init, inspect`, { hint: HINT });
}
