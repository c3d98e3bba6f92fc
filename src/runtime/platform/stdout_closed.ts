/**
 * {@linkcode StdoutClosedError}: standard output was closed by its reader.
 *
 * @module
 */

/**
 * What `Platform.writeStdout` throws once standard output is closed at the
 * far end: a pipe whose reader exited, as `runnel run flow.ts | head` does.
 * Unix tools end quietly then, and so does `runnel run`; the runtimes' own
 * errors differ (`BrokenPipe` on Deno, `EPIPE` on Node and Bun), so the
 * adapters turn them into this one.
 */
export class StdoutClosedError extends Error {
  /** @param options The runtime's own error, as `cause`. */
  constructor(options?: ErrorOptions) {
    super("Cannot write to standard output: its reader closed it", options);
    this.name = "StdoutClosedError";
  }
}

/** Whether `error`, or an error in its `cause` chain (a step error's, say), is a {@linkcode StdoutClosedError}. */
export function isStdoutClosed(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e = error; e instanceof Error && !seen.has(e); e = e.cause) {
    if (e instanceof StdoutClosedError) return true;
    seen.add(e);
  }
  return false;
}
