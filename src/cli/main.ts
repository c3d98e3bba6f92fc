/**
 * The `runnel` command: `run`, `visualize`, `recovery`, `--help`, `--version`.
 *
 * @module
 */

import denoJson from "../../deno.json" with { type: "json" };
import type { Dataflow } from "../dataflow/dataflow.ts";
import { toMermaid } from "../viz/mermaid.ts";
import { run } from "../runtime/run.ts";
import type { StopSignal } from "../runtime/platform/platform.ts";
import { type OptionSpec, parseArgs } from "./args.ts";
import { CliError, commandHint, HELP_HINT, oneLine, traceOf } from "./errors.ts";
import { mainHelp, RECOVERY_HELP, RUN_HELP, VISUALIZE_HELP } from "./help.ts";
import { type CliIo, processIo } from "./io.ts";
import { loadFlow, moduleUrl, parseFlowSpec, resolvePath } from "./load_flow.ts";
import type { FlowModule } from "../runtime/threads/flow_module.ts";
import { failedWorkerOf } from "../runtime/threads/failed_worker.ts";
import { isStdoutClosed } from "../runtime/platform/stdout_closed.ts";
// The store and the recovery commands load the codec (an npm package): only
// a run with -r, or `runnel recovery`, imports them.
import type { KvRecoveryStore } from "../runtime/recovery/kv_store.ts";
import { RecoveryStoreError } from "../runtime/recovery/store_error.ts";
import { isKvUrl } from "../runtime/recovery/_remote.ts";
import type { ClusterRunOptions } from "../runtime/threads/cluster_options.ts";
import { parseClusterArgs } from "../runtime/exchange/tcp/cluster_args.ts";

/** runnel's version, from `deno.json`. */
export const VERSION: string = denoJson.version;

const COMMANDS = ["run", "visualize", "recovery"];
const HELP: OptionSpec = { long: "help", short: "h" };

const RUN_OPTIONS: readonly OptionSpec[] = [
  { long: "snapshot-interval", short: "s", value: "SECONDS" },
  { long: "workers-per-process", short: "w", value: "N" },
  { long: "flush-on-interrupt" },
  { long: "recovery-directory", short: "r", value: "DIR" },
  { long: "backup-interval", short: "b", value: "SECONDS" },
  { long: "fresh" },
  { long: "process-id", short: "i", value: "I" },
  { long: "addresses", short: "a", value: "ADDRESSES" },
  { long: "cluster-secret", value: "SECRET" },
  { long: "startup-timeout", value: "SECONDS" },
  { long: "heartbeat-timeout", value: "SECONDS" },
  { long: "processes", short: "p", value: "P" },
  HELP,
];

const VISUALIZE_OPTIONS: readonly OptionSpec[] = [
  { long: "recursive", short: "r" },
  { long: "output-format", short: "o", value: "FORMAT" },
  HELP,
];

const DEFAULT_SNAPSHOT_INTERVAL_S = 10;

// A flag's value, else its environment variable's, with where it came from.
function setting(
  options: Map<string, string | true>,
  io: CliIo,
  spec: { long: string; short: string; env: string },
): { value: string; source: string } | undefined {
  const flag = options.get(spec.long);
  if (typeof flag === "string") return { value: flag, source: `-${spec.short}/--${spec.long}` };
  const env = io.env(spec.env);
  if (env !== undefined && env !== "") return { value: env, source: spec.env };
  return undefined;
}

function moduleArgument(positionals: readonly string[], command: string): string {
  const hint = commandHint(command);
  if (positionals.length === 0) {
    throw new CliError(`'runnel ${command}' needs a module, as in 'runnel ${command} flow.ts'`, {
      hint,
    });
  }
  if (positionals.length > 1) {
    throw new CliError(
      `unexpected argument "${positionals[1]}": 'runnel ${command}' takes one module`,
      { hint },
    );
  }
  return positionals[0]!;
}

function isTraceOn(io: CliIo): boolean {
  const value = io.env("RUNNEL_TRACE");
  return value !== undefined && value !== "" && value !== "0" && value !== "false";
}

async function runCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { positionals, options } = parseArgs(args, RUN_OPTIONS, "run");
  if (options.has("help")) {
    await io.stdout(RUN_HELP);
    return 0;
  }
  const spec = moduleArgument(positionals, "run");
  const hint = commandHint("run");

  const workers = setting(options, io, {
    long: "workers-per-process",
    short: "w",
    env: "RUNNEL_WORKERS_PER_PROCESS",
  });
  if (workers !== undefined) {
    if (!/^\d+$/.test(workers.value.trim()) || Number(workers.value) < 1) {
      throw new CliError(
        `${workers.source} must be a whole number of at least 1, got "${workers.value}"`,
        { hint },
      );
    }
  }

  const interval = setting(options, io, {
    long: "snapshot-interval",
    short: "s",
    env: "RUNNEL_SNAPSHOT_INTERVAL",
  });
  let seconds = DEFAULT_SNAPSHOT_INTERVAL_S;
  if (interval !== undefined) {
    seconds = Number(interval.value);
    if (interval.value.trim() === "" || !Number.isFinite(seconds) || seconds <= 0) {
      throw new CliError(
        `${interval.source} must be a positive number of seconds, got "${interval.value}"`,
        { hint },
      );
    }
  }

  const processes = options.get("processes");
  if (typeof processes === "string") {
    if (!/^\d+$/.test(processes.trim()) || Number(processes) < 1) {
      throw new CliError(
        `-p/--processes must be a whole number of at least 1, got "${processes}"`,
        {
          hint,
        },
      );
    }
    for (const given of ["process-id", "addresses"]) {
      if (options.has(given)) {
        throw new CliError(
          `-p/--processes starts its own cluster and gives each process its -i and -a; ` +
            `leave out --${given}`,
          { hint },
        );
      }
    }
    const { launchLocalCluster } = await import("./launcher.ts");
    return await launchLocalCluster(args, Number(processes), io);
  }
  // For the cluster's peers to connect, and for every Worker thread to build the flow.
  const startupTimeout = secondsSetting(options, io, "startup-timeout", "RUNNEL_STARTUP_TIMEOUT");
  const cluster = clusterSettings(options, io, startupTimeout);
  if (cluster !== undefined) {
    checkSharedStore(cluster, options, io);
    // Process 0 alone starts the store over: it opens it, the others join what it opened.
    if (cluster.processIndex !== 0) options.delete("fresh");
  }
  const store = await recoveryStore(options, io);
  const flow = await loadFlow(spec, io.cwd());
  const { module, exportName, args: factoryArgs } = parseFlowSpec(spec);
  try {
    return await runFlow(flow, {
      epochInterval: seconds * 1000,
      flushOnInterrupt: options.has("flush-on-interrupt"),
      workers: workers === undefined ? 1 : Number(workers.value),
      // With more than one worker, each Worker thread builds the flow from the same module.
      module: { url: moduleUrl(module, io.cwd()), export: exportName, args: factoryArgs },
      store,
      cluster,
      startupTimeout,
    }, io);
  } finally {
    // The run closes the store it opened; closing again is harmless.
    await store?.close();
  }
}

// A positive number of seconds as milliseconds, from a flag or its environment variable.
function secondsSetting(
  options: Map<string, string | true>,
  io: CliIo,
  long: string,
  env: string,
): number | undefined {
  const flag = options.get(long);
  const text = typeof flag === "string" ? flag : io.env(env);
  if (text === undefined || text === "") return undefined;
  const seconds = Number(text);
  if (text.trim() === "" || !Number.isFinite(seconds) || seconds <= 0) {
    throw new CliError(
      `${
        typeof flag === "string" ? `--${long}` : env
      } must be a positive number of seconds, got "${text}"`,
      { hint: commandHint("run") },
    );
  }
  return seconds * 1000;
}

// The cluster of `-i`/`-a` (or their environment variables), or none.
function clusterSettings(
  options: Map<string, string | true>,
  io: CliIo,
  startupTimeoutMs: number | undefined,
): ClusterRunOptions | undefined {
  const flag = (name: string) => {
    const value = options.get(name);
    return typeof value === "string" ? value : undefined;
  };
  let parsed;
  try {
    parsed = parseClusterArgs(
      { addresses: flag("addresses"), processId: flag("process-id") },
      (name) => io.env(name),
    );
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error), {
      hint: commandHint("run"),
    });
  }
  if (parsed === undefined) return undefined;
  const secret = flag("cluster-secret") ?? io.env("RUNNEL_CLUSTER_SECRET");
  return {
    addresses: parsed.addresses,
    processIndex: parsed.processIndex,
    secret: secret === "" ? undefined : secret,
    startupTimeoutMs,
    heartbeatTimeoutMs: secondsSetting(
      options,
      io,
      "heartbeat-timeout",
      "RUNNEL_HEARTBEAT_TIMEOUT",
    ),
    version: VERSION,
  };
}

// Every name of this host's loopback interface counts as one host.
function hostOf(hostname: string): string {
  const host = hostname.toLowerCase();
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host)
    ? "loopback"
    : host;
}

// Refuses a local recovery directory for a cluster across hosts: the
// processes must all write to one store, which only a denokv URL gives them.
function checkSharedStore(
  cluster: ClusterRunOptions,
  options: Map<string, string | true>,
  io: CliIo,
): void {
  const dir = setting(options, io, {
    long: "recovery-directory",
    short: "r",
    env: "RUNNEL_RECOVERY_DIRECTORY",
  });
  if (dir === undefined || isKvUrl(dir.value)) return;
  const hosts = new Set(cluster.addresses.map(({ hostname }) => hostOf(hostname)));
  if (hosts.size > 1) {
    throw new CliError(
      `${dir.source} "${dir.value}" is a local directory, but the cluster's addresses name ` +
        `more than one host (${
          [...new Set(cluster.addresses.map(({ hostname }) => hostname))].join(", ")
        }): every process must write to one store; give a denokv URL (http://host:port) ` +
        "that every host reaches",
      { hint: commandHint("run") },
    );
  }
}

// The recovery store of `-r DIR` (with `-b` and `--fresh`), or none.
async function recoveryStore(
  options: Map<string, string | true>,
  io: CliIo,
): Promise<KvRecoveryStore | undefined> {
  const hint = commandHint("run");
  const dir = setting(options, io, {
    long: "recovery-directory",
    short: "r",
    env: "RUNNEL_RECOVERY_DIRECTORY",
  });
  const backup = setting(options, io, {
    long: "backup-interval",
    short: "b",
    env: "RUNNEL_BACKUP_INTERVAL",
  });
  if (dir === undefined) {
    const given = backup?.source ?? (options.has("fresh") ? "--fresh" : undefined);
    if (given !== undefined) {
      throw new CliError(`${given} needs a recovery directory (-r DIR)`, { hint });
    }
    return undefined;
  }
  let seconds = 0;
  if (backup !== undefined) {
    seconds = Number(backup.value);
    if (backup.value.trim() === "" || !Number.isFinite(seconds) || seconds < 0) {
      throw new CliError(
        `${backup.source} must be a number of seconds of at least 0, got "${backup.value}"`,
        { hint },
      );
    }
  }
  const { KvRecoveryStore } = await import("../runtime/recovery/kv_store.ts");
  return new KvRecoveryStore(resolvePath(io.cwd(), dir.value), {
    backup: seconds,
    fresh: options.has("fresh"),
  });
}

// How a shell reports a process a signal ended: 128 plus the signal's number.
export const SIGNAL_EXIT_CODES: Readonly<Record<StopSignal, number>> = {
  SIGHUP: 129,
  SIGINT: 130,
  SIGTERM: 143,
};

// Which process, in a cluster: under `-p` every process prints to one terminal.
function stopNotice(signal: StopSignal, flushing: boolean, processIndex?: number): string {
  const closing = flushing ? "closing open windows and sinks" : "closing sinks";
  const who = processIndex === undefined ? "runnel:" : `runnel: cluster process ${processIndex}`;
  return signal === "SIGINT"
    ? `${who} interrupted; ${closing} (Ctrl-C again to quit at once)\n`
    : `${who} ${signal} received; ${closing} (a second signal quits at once)\n`;
}

const INTERRUPTED = "Interrupted";

/**
 * What a signal stops the run with: marked by its name, with the signal as
 * its cause, so that the other processes of a cluster, stopped with it, can
 * tell an interruption from a failure.
 */
function interruptedBy(signal: StopSignal, processIndex: number | undefined): Error {
  const who = processIndex === undefined ? "the run" : `cluster process ${processIndex}`;
  const error = new Error(`${who} was interrupted (${signal})`, { cause: signal });
  error.name = INTERRUPTED;
  return error;
}

/**
 * The error made by {@linkcode interruptedBy}, here or on another process
 * (whose stop arrives with it as the cause), and its signal.
 */
function interruptionOf(error: unknown): { message: string; signal: StopSignal } | undefined {
  for (let depth = 0; error instanceof Error && depth < 4; depth++, error = error.cause) {
    const signal = error.cause;
    if (
      error.name === INTERRUPTED && typeof signal === "string" &&
      Object.hasOwn(SIGNAL_EXIT_CODES, signal)
    ) return { message: error.message, signal: signal as StopSignal };
  }
  return undefined;
}

async function runFlow(
  flow: Dataflow,
  settings: {
    epochInterval: number;
    flushOnInterrupt: boolean;
    workers: number;
    module: FlowModule;
    store?: KvRecoveryStore;
    cluster?: ClusterRunOptions | undefined;
    startupTimeout?: number | undefined;
  },
  io: CliIo,
): Promise<number> {
  const controller = new AbortController();
  const drain = new AbortController();
  let stoppedBy: StopSignal | undefined;
  const stopListening = io.onInterrupt((signal) => {
    stoppedBy = signal;
    // Let a second signal end the process the usual way, should closing hang.
    stopListening();
    void io.stderr(stopNotice(signal, settings.flushOnInterrupt, settings.cluster?.processIndex));
    if (settings.flushOnInterrupt) drain.abort();
    else controller.abort(interruptedBy(signal, settings.cluster?.processIndex));
  });
  try {
    await run(flow, {
      epochInterval: settings.epochInterval,
      signal: controller.signal,
      drainSignal: settings.flushOnInterrupt ? drain.signal : undefined,
      workers: settings.workers,
      module: settings.module,
      recovery: settings.store === undefined ? undefined : { store: settings.store },
      ...(settings.cluster === undefined ? {} : { cluster: settings.cluster }),
      ...(settings.startupTimeout === undefined ? {} : { startupTimeout: settings.startupTimeout }),
    });
  } catch (error) {
    // Our reader has gone (`| head`): the run is over, quietly, as for Unix tools.
    if (isStdoutClosed(error)) return stoppedBy === undefined ? 0 : SIGNAL_EXIT_CODES[stoppedBy];
    const interrupted = interruptionOf(error);
    if (interrupted !== undefined) {
      // Stopped by our signal, or by another cluster process's: not a failure.
      if (stoppedBy === undefined) {
        await io.stderr(`runnel: stopped: ${interrupted.message}; sinks closed\n`);
      }
      return SIGNAL_EXIT_CODES[stoppedBy ?? interrupted.signal];
    }
    if (error instanceof RecoveryStoreError) {
      // The recovery directory is at fault, not the flow: its message names the file.
      await io.stderr(`runnel: ${error.message}\n`);
    } else {
      const worker = failedWorkerOf(error);
      const where = worker === undefined ? "" : ` on worker ${worker}`;
      await io.stderr(`runnel: flow failed${where}: ${oneLine(error)}\n`);
      if (isTraceOn(io)) await io.stderr(traceOf(error));
    }
    return stoppedBy !== undefined ? SIGNAL_EXIT_CODES[stoppedBy] : 1;
  } finally {
    stopListening();
  }
  return stoppedBy !== undefined ? SIGNAL_EXIT_CODES[stoppedBy] : 0;
}

async function visualizeCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { positionals, options } = parseArgs(args, VISUALIZE_OPTIONS, "visualize");
  if (options.has("help")) {
    await io.stdout(VISUALIZE_HELP);
    return 0;
  }
  const spec = moduleArgument(positionals, "visualize");
  const format = options.get("output-format") ?? "mermaid";
  if (format !== "mermaid") {
    throw new CliError(`output format "${format}" is not supported; supported: mermaid`, {
      hint: commandHint("visualize"),
    });
  }
  const flow = await loadFlow(spec, io.cwd());
  await io.stdout(toMermaid(flow, { recursive: options.has("recursive") }));
  return 0;
}

async function dispatch(args: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined) {
    await io.stderr(mainHelp(VERSION));
    return 2;
  }
  if (command === "-h" || command === "--help") {
    await io.stdout(mainHelp(VERSION));
    return 0;
  }
  if (command === "--version" || command === "-V") {
    await io.stdout(`runnel ${VERSION}\n`);
    return 0;
  }
  if (command === "help") {
    const topic = rest[0];
    if (topic === "run") await io.stdout(RUN_HELP);
    else if (topic === "visualize") await io.stdout(VISUALIZE_HELP);
    else if (topic === "recovery") await io.stdout(RECOVERY_HELP);
    else if (topic === undefined) await io.stdout(mainHelp(VERSION));
    else {
      throw new CliError(`unknown command "${topic}"; commands: ${COMMANDS.join(", ")}`, {
        hint: HELP_HINT,
      });
    }
    return 0;
  }
  if (command === "run") return await runCommand(rest, io);
  if (command === "visualize") return await visualizeCommand(rest, io);
  if (command === "recovery") {
    const { recoveryCommand } = await import("./recovery.ts");
    return await recoveryCommand(rest, io);
  }
  if (command.startsWith("-")) {
    throw new CliError(`unknown option "${command}"; options come after the command`, {
      hint: HELP_HINT,
    });
  }
  throw new CliError(`unknown command "${command}"; commands: ${COMMANDS.join(", ")}`, {
    hint: HELP_HINT,
  });
}

/**
 * Runs the `runnel` command line and returns the exit code; it never exits
 * the process itself, so it can be called from tests.
 *
 * Exit codes: `0` success, or standard output closed by its reader (as
 * `| head` does; the run stops quietly, its sinks closed); `1` the flow
 * failed (one line on standard error,
 * `runnel: flow failed: <message>`, plus the stack with `RUNNEL_TRACE=1`) or
 * the module's own code threw while it ran, or the recovery directory is
 * unusable (`runnel: <message>` naming the file: a partition missing,
 * corrupt, of another flow or store, or held by another run); `2` a usage
 * error (unknown command or option, bad value, a module that cannot load:
 * not found, a syntax error, a missing import; export not found, not a
 * Dataflow); `130` the run was interrupted with Ctrl-C, `143` stopped by
 * SIGTERM, `129` by SIGHUP, each after every sink was closed.
 *
 * @param args The arguments after `runnel`, such as `["run", "flow.ts", "-s", "5"]`.
 * @param io Replacements for the process services (output, environment,
 *   working directory, Ctrl-C); each one left out is the real one.
 * @returns The exit code.
 *
 * @example Drawing a flow module
 * ```ts
 * import { main } from "@runnel/runnel/cli";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/flow.ts`, `
 *   import { Dataflow } from "${import.meta.resolve("@runnel/runnel")}";
 *   export const flow = new Dataflow("tiny");
 *   flow.input("inp", [1]).output("out", { build: () => ({ writeBatch() {} }) });
 * `);
 * let out = "";
 * const code = await main(["visualize", "flow.ts"], {
 *   cwd: () => dir,
 *   stdout: (text) => void (out += text),
 * });
 * assert.equal(code, 0);
 * assert.ok(out.includes("tiny_inp --> tiny_out"), out);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function main(args: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const services: CliIo = { ...processIo, ...io };
  try {
    return await dispatch(args, services);
  } catch (error) {
    if (isStdoutClosed(error)) return 0;
    if (!(error instanceof CliError)) throw error;
    await services.stderr(`runnel: ${error.message}\n`);
    if (error.hint !== undefined) await services.stderr(`${error.hint}\n`);
    if (error.exitCode === 1 && error.cause !== undefined && isTraceOn(services)) {
      await services.stderr(traceOf(error.cause));
    }
    return error.exitCode;
  }
}
