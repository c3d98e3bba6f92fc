/**
 * `runnel run flow.ts -p P`: a cluster of P processes on this machine, for
 * trying a cluster out (tests, demos, notebooks). It finds P free loopback
 * ports, starts P processes of runnel itself with `-i 0..P-1` and the same
 * `-a` list (and every other flag as given), and supervises them: when one
 * exits with a failure, the others are stopped (SIGTERM), and Ctrl-C,
 * SIGTERM and SIGHUP are passed on to every process once. It exits with
 * the first failing process's status, or 0 once every process finished,
 * or, stopped by a signal, as one process would (130 for Ctrl-C).
 *
 * @module
 */

import { sockets } from "../runtime/platform/socket.ts";
import { type ChildHandle, startModule } from "../runtime/platform/processes.ts";
import { formatAddress } from "../runtime/exchange/tcp/cluster.ts";
import type { CliIo } from "./io.ts";
import type { StopSignal } from "../runtime/platform/platform.ts";
// Loaded by main.ts only when it runs a launcher, once main.ts is evaluated.
import { SIGNAL_EXIT_CODES } from "./main.ts";

const CLI = new URL("../../cli.ts", import.meta.url);

// The `run` arguments without `-p`/`--processes` and its value.
function withoutProcesses(args: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      kept.push(...args.slice(i));
      break;
    }
    if (arg === "-p" || arg === "--processes") i++;
    else if (!arg.startsWith("--processes=") && !/^-p./.test(arg)) kept.push(arg);
  }
  return kept;
}

/**
 * Starts and supervises `processes` local processes of one cluster.
 *
 * @param args The `run` command's arguments, `-p` included.
 * @param processes How many processes.
 * @param io Where the launcher reports, and the signals it passes on.
 * @returns The exit status.
 */
export async function launchLocalCluster(
  args: readonly string[],
  processes: number,
  io: CliIo,
): Promise<number> {
  // Free ports: bound to port 0 together so that no two are the same.
  const listeners = [];
  for (let i = 0; i < processes; i++) {
    listeners.push(await sockets.listen({ hostname: "127.0.0.1", port: 0 }));
  }
  const addresses = listeners.map((listener) =>
    formatAddress({ hostname: "127.0.0.1", port: listener.port })
  ).join(";");
  for (const listener of listeners) listener.close();

  const rest = withoutProcesses(args);
  const children: ChildHandle[] = [];
  let status = 0;
  let stopping = false;
  const stopOthers = () => {
    if (stopping) return;
    stopping = true;
    for (const child of children) child.kill("SIGTERM");
  };
  for (let i = 0; i < processes; i++) {
    children.push(startModule(CLI, ["run", ...rest, "-i", `${i}`, "-a", addresses], (error) => {
      void io.stderr(`runnel: cannot start cluster process ${i}: ${error.message}\n`);
    }));
  }
  const exits = children.map((child, i) =>
    child.exited.then(({ code, signal }) => {
      if (code === 0) return;
      if (status === 0) status = code;
      // Said before the others report the SIGTERM they get from here.
      if (!stopping && processes > 1) {
        const how = signal === undefined ? `exited with ${code}` : `was ended by ${signal}`;
        void io.stderr(`runnel: cluster process ${i} ${how}; stopping the others\n`);
      }
      stopOthers();
    })
  );
  let signalled: StopSignal | undefined;
  const stopListening = io.onInterrupt((signal) => {
    stopListening();
    stopping = true;
    signalled = signal;
    for (const child of children) child.kill(signal);
  });
  try {
    await Promise.all(exits);
  } finally {
    stopListening();
  }
  // Stopped by a signal, as one process would report it.
  return signalled === undefined ? status : SIGNAL_EXIT_CODES[signalled];
}
