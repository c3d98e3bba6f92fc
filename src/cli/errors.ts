/**
 * The error the CLI's parts throw to end a command with a message and an
 * exit code.
 *
 * @module
 */

/** Options for {@linkcode CliError}. */
export interface CliErrorOptions {
  /** The process exit code: 2 for usage errors (the default), 1 for failures. */
  exitCode?: 1 | 2;
  /** A second line telling the person what to try, such as `Try 'runnel --help'.` */
  hint?: string;
  /** The underlying error, whose stack `RUNNEL_TRACE=1` prints. */
  cause?: unknown;
}

/**
 * A command cannot go on. `main` prints `runnel: <message>` (and the hint)
 * to standard error and returns {@linkcode CliError.exitCode}.
 */
export class CliError extends Error {
  /** The exit code `main` returns. */
  readonly exitCode: 1 | 2;
  /** A line printed after the message, or `undefined`. */
  readonly hint: string | undefined;

  /**
   * @param message One line a person can act on, without the `runnel: ` prefix.
   * @param options The exit code, a hint and the cause.
   */
  constructor(message: string, options: CliErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "CliError";
    this.exitCode = options.exitCode ?? 2;
    this.hint = options.hint;
  }
}

/** The hint printed after most usage errors. */
export const HELP_HINT = "Try 'runnel --help'.";

/**
 * The hint for a command's usage errors.
 *
 * @param command `"run"` or `"visualize"`.
 * @returns `Try 'runnel <command> --help'.`
 */
export function commandHint(command: string): string {
  return `Try 'runnel ${command} --help'.`;
}

const ANSI_ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/**
 * Renders an error as one line: its message (prefixed by its class name
 * unless that is a plain `Error` or a `StepError`, whose message names the
 * step already), without color codes or line breaks.
 *
 * @param error Anything thrown.
 * @returns A single line.
 */
export function oneLine(error: unknown): string {
  let text: string;
  if (error instanceof Error) {
    const plain = error.name === "Error" || error.name === "StepError" || error.message === "";
    text = plain ? error.message || error.name : `${error.name}: ${error.message}`;
  } else {
    try {
      text = typeof error === "string" ? error : JSON.stringify(error) ?? String(error);
    } catch {
      text = String(error);
    }
  }
  return text.replace(ANSI_ESCAPE, "").replace(/\s*\n\s*/g, " ").trim();
}

/**
 * The stack of an error and of each of its causes, for `RUNNEL_TRACE=1`.
 *
 * @param error Anything thrown.
 * @returns Several lines, ending with a newline.
 */
export function traceOf(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 8; depth++) {
    const text = current instanceof Error ? current.stack ?? oneLine(current) : oneLine(current);
    parts.push(depth === 0 ? text : `Caused by: ${text}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return `${parts.join("\n").replace(ANSI_ESCAPE, "")}\n`;
}
