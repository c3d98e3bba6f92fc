/**
 * Finding the flow a command works on: `module[:export]` to a module URL,
 * the module imported, the export picked, a factory called.
 *
 * @module
 */

import { Dataflow } from "../dataflow/dataflow.ts";
import { importingFlowModule, RUN_ON_IMPORT, runsStarted } from "../runtime/run.ts";
import { CliError, HELP_HINT, oneLine } from "./errors.ts";
import { isKvUrl } from "../runtime/recovery/_remote.ts";

/** A parsed `module[:export]` argument. */
export interface FlowSpec {
  /** The module as the person typed it: a path or a URL. */
  readonly module: string;
  /** The export named after `:`, or `undefined` to use `flow`, else `default`. */
  readonly exportName: string | undefined;
  /**
   * The literal arguments of `module:factory(args)`, or `undefined` when
   * the export was named without parentheses (or not at all).
   */
  readonly args?: readonly FactoryArgument[];
}

/** A literal argument a factory can be given on the command line. */
export type FactoryArgument = string | number | boolean | null;

// One literal and the comma or end after it: a quoted string, a number, true, false or null.
const ARGUMENT =
  /\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|(true|false|null))\s*(,|$)/y;

/**
 * Parses the text between a factory's parentheses, such as `3, "x", true`.
 *
 * @param text The arguments, without the parentheses.
 * @param call The whole call, for the error message.
 * @returns The values.
 * @throws {CliError} A usage error naming what is not a literal.
 */
function parseArguments(text: string, call: string): FactoryArgument[] {
  const args: FactoryArgument[] = [];
  if (text.trim() === "") return args;
  ARGUMENT.lastIndex = 0;
  while (ARGUMENT.lastIndex < text.length) {
    const start = ARGUMENT.lastIndex;
    const match = ARGUMENT.exec(text);
    if (match === null) {
      throw new CliError(
        `cannot read the arguments of "${call}" at "${text.slice(start).trim()}": ` +
          `write numbers, strings in quotes, true, false or null, separated by commas`,
        { hint: HELP_HINT },
      );
    }
    const [, double, single, number, word, comma] = match;
    if (double !== undefined || single !== undefined) {
      // A single-quoted string becomes a JSON one: \' unescaped, bare " escaped.
      const json = double ??
        single!.replace(/\\(.)|"/g, (all, c) => c === undefined ? '\\"' : c === "'" ? "'" : all);
      try {
        args.push(JSON.parse(`"${json}"`));
      } catch {
        throw new CliError(
          `cannot read the arguments of "${call}": bad escape in ${match[0].trim()}`,
          { hint: HELP_HINT },
        );
      }
    } else if (number !== undefined) args.push(Number(number));
    else args.push(word === "null" ? null : word === "true");
    if (comma === "," && ARGUMENT.lastIndex === text.length) {
      throw new CliError(`cannot read the arguments of "${call}": nothing after the last comma`, {
        hint: HELP_HINT,
      });
    }
  }
  return args;
}

const WITH_EXPORT = /^(.+):([A-Za-z_$][\w$]*)(\(.*\))?$/s;
// `npm:pkg` is a specifier, not the export `pkg` of a module `npm`.
const BARE_SCHEME = /^[A-Za-z][A-Za-z0-9+-]*$/;
const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]+:/;
const WINDOWS_PATH = /^(?:[A-Za-z]:[\\/]|\\\\)/;

/**
 * Splits `module[:export]`. The export is the part after the last `:` when
 * it is an identifier, so `C:\flows\a.ts` and `https://host/a.ts` are
 * modules without an export. As in Bytewax, `module:factory(args)` calls a
 * factory with literal arguments: numbers, strings in double or single
 * quotes, `true`, `false` and `null`, separated by commas.
 *
 * @param spec The argument, such as `"flows.ts:build"` or `'flows.ts:build(3, "eu")'`.
 * @returns The module, the export name and the factory's arguments.
 * @throws {CliError} A usage error when `spec` is empty or an argument is not a literal.
 */
export function parseFlowSpec(spec: string): FlowSpec {
  if (spec.trim() === "") throw new CliError("the module is empty", { hint: HELP_HINT });
  const match = WITH_EXPORT.exec(spec);
  if (match === null) return { module: spec, exportName: undefined };
  const [, module, exportName, call] = match as unknown as [string, string, string, string?];
  if (BARE_SCHEME.test(module) && module.length > 1 && call === undefined) {
    return { module: spec, exportName: undefined };
  }
  if (module.length === 1 && call === undefined) {
    // `C:name` is a path relative to drive C's current directory.
    return { module: spec, exportName: undefined };
  }
  if (call === undefined) return { module, exportName };
  return { module, exportName, args: parseArguments(call.slice(1, -1), `${exportName}${call}`) };
}

function encodePath(path: string): string {
  return path.split("/").map((segment, i) =>
    i === 1 && /^[A-Za-z]:$/.test(segment) ? segment : encodeURIComponent(segment)
  ).join("/");
}

/**
 * Turns a module argument into the URL to import: a URL stays as it is
 * (`file:`, `https:`, `npm:`, ...); a path is taken relative to `cwd`
 * (POSIX or Windows) and becomes a `file:` URL.
 *
 * @param module A path or a URL.
 * @param cwd The directory relative paths start from.
 * @returns The URL.
 */
export function moduleUrl(module: string, cwd: string): URL {
  if (URL_SCHEME.test(module)) return new URL(module);
  const windows = WINDOWS_PATH.test(module) || WINDOWS_PATH.test(cwd);
  let path = windows ? module.replaceAll("\\", "/") : module;
  if (!(path.startsWith("/") || (windows && /^[A-Za-z]:\//.test(path)))) {
    const base = windows ? cwd.replaceAll("\\", "/") : cwd;
    path = `${base.replace(/\/+$/, "")}/${path}`;
  }
  if (windows && path.startsWith("//")) return new URL(`file:${encodePath(path)}`);
  if (windows) path = `/${path}`;
  return new URL(`file://${encodePath(path)}`);
}

// A file URL as a path, for messages.
function displayUrl(url: URL): string {
  if (url.protocol !== "file:") return url.href;
  const path = decodeURIComponent(url.pathname);
  return /^\/[A-Za-z]:\//.test(path) ? path.slice(1) : path;
}

function describeKind(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === "string" && name !== "Object" ? `a ${name}` : "an object";
  }
  return `a ${typeof value}`;
}

// A flow built with another copy of runnel (say, the published package while
// this CLI runs from a checkout) is not an instance of this Dataflow class.
function isDataflow(value: unknown): value is Dataflow {
  if (value instanceof Dataflow) return true;
  if (value === null || typeof value !== "object") return false;
  const candidate = value as { id?: unknown; nodes?: unknown; constructor?: { name?: unknown } };
  return candidate.constructor?.name === "Dataflow" && typeof candidate.id === "string" &&
    Array.isArray(candidate.nodes);
}

// Codes the runtimes give a module graph that cannot be resolved or parsed.
const LOAD_ERROR_CODES = new Set([
  "ERR_MODULE_NOT_FOUND",
  "ERR_UNSUPPORTED_DIR_IMPORT",
  "ERR_UNKNOWN_FILE_EXTENSION",
  "ERR_INVALID_TYPESCRIPT_SYNTAX",
]);

// Whether the module could not be loaded at all, as opposed to its own code
// throwing while it ran: the first is a usage error, the second a failure.
function isLoadError(error: unknown): boolean {
  if (error === null || typeof error !== "object") return false;
  const { code, message, stack } = error as { code?: unknown; message?: unknown; stack?: unknown };
  if (typeof code === "string" && LOAD_ERROR_CODES.has(code)) return true;
  // Bun's parse and resolve errors.
  const kind = (error as { constructor?: { name?: unknown } }).constructor?.name;
  if (kind === "BuildMessage" || kind === "ResolveMessage") return true;
  const text = typeof message === "string" ? message : "";
  // A TypeScript loader built on esbuild (tsx, the test runner's) that met a syntax error.
  if (text.startsWith("Transform failed with")) return true;
  if (error instanceof SyntaxError) {
    // An import of a name the other module does not export, in each runtime's words.
    if (/does not provide an export named|^Export named .* not found/.test(text)) return true;
    // A parse error has no call frames; a SyntaxError thrown by running code does.
    return typeof stack !== "string" || !/^\s+at /m.test(stack);
  }
  return false;
}

// Bun's BuildMessage carries where the parse failed beside its message.
function positionOf(error: unknown): string {
  const position = (error as { position?: { file?: unknown; line?: unknown; column?: unknown } })
    ?.position;
  if (position === null || typeof position !== "object" || typeof position.file !== "string") {
    return "";
  }
  return ` at ${position.file}:${position.line}:${position.column}`;
}

function importFailure(module: string, url: URL, error: unknown): CliError {
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String((error as Error)?.message ?? "");
  if (code === "ERR_MODULE_NOT_FOUND" || code === "ERR_UNSUPPORTED_DIR_IMPORT") {
    const path = displayUrl(url);
    if (message.startsWith(`Module not found "${url.href}"`) || message.includes(`'${path}'`)) {
      return new CliError(`cannot load "${module}": module not found at ${path}`, {
        cause: error,
      });
    }
  }
  if (isLoadError(error)) {
    // A syntax error, a missing import, a missing dependency: keep the first
    // line and where it happened.
    const lines = message.split("\n");
    const where = lines.slice(1).reverse().find((line) => /^\s*at /.test(line));
    const text = oneLine(
      lines[0]! + (where === undefined ? "" : ` ${where.trim()}`) + positionOf(error),
    );
    return new CliError(`cannot load "${module}": ${text}`, { cause: error });
  }
  // The module itself threw while it was evaluated: the flow's code failed.
  return new CliError(`cannot load "${module}": ${oneLine(error)}`, { exitCode: 1, cause: error });
}

// A module that runs its flow while it is imported: running it again (or
// drawing it, which would hide that it ran) would be wrong.
function ranOnImport(module: string): CliError {
  return new CliError(
    `"${module}" runs a flow itself while it is imported; ` +
      `runnel imports the module and runs its flow, so it would run twice`,
    {
      hint: "Export the flow and run it only when the module is the program:\n" +
        "  export const flow = new Dataflow(...);\n" +
        "  if (import.meta.main) await run(flow);",
    },
  );
}

/**
 * Loads the flow named by a `module[:export]` argument.
 *
 * Imports the module, takes the named export (else `flow`, else `default`)
 * and, when it is a function, calls it with the spec's literal arguments
 * (awaiting a promise) to get the flow.
 *
 * @param spec The `module[:export]` argument.
 * @param cwd The directory relative paths start from.
 * @returns The flow.
 * @throws {CliError} Exit code 2 when the module cannot be found or loaded
 *   (a syntax error, a missing import), the export is missing or not a
 *   flow, or a factory is given fewer arguments than it declares; exit code 1 when the module's own code or the factory throws.
 */
export async function loadFlow(spec: string, cwd: string): Promise<Dataflow> {
  const { module, exportName, args = [] } = parseFlowSpec(spec);
  const url = moduleUrl(module, cwd);
  let namespace: Record<string, unknown>;
  const runsBefore = runsStarted();
  // A run the module starts meanwhile fails at once, before it reads anything.
  importingFlowModule(module);
  try {
    namespace = await import(url.href);
  } catch (error) {
    if ((error as Error)?.name === RUN_ON_IMPORT) throw ranOnImport(module);
    throw importFailure(module, url, error);
  } finally {
    importingFlowModule(undefined);
  }
  // One started by a runnel without that check (an older copy) ran already.
  if (runsStarted() > runsBefore) throw ranOnImport(module);
  const names = Object.keys(namespace);
  const listed = names.length === 0 ? "it has no exports" : `exports: ${names.join(", ")}`;
  const name = exportName ?? ("flow" in namespace ? "flow" : "default");
  if (!(name in namespace)) {
    throw new CliError(
      exportName === undefined
        ? `"${module}" has no export "flow" and no default export; ${listed}`
        : `"${module}" has no export "${name}"; ${listed}`,
      { hint: names.length === 0 ? undefined : `Name the flow's export: '${module}:<export>'.` },
    );
  }
  let value = namespace[name];
  const label = `${module}:${name}`;
  if (typeof value === "function") {
    if (value.length > args.length) {
      const given = args.length === 0 ? "none" : `only ${args.length}`;
      throw new CliError(
        `"${label}" takes ${value.length} argument${value.length === 1 ? "" : "s"} and was given ` +
          `${given}; pass them as literals, as in '${module}:${name}(3, "text", true)'`,
      );
    }
    try {
      value = await value(...args);
    } catch (error) {
      throw new CliError(`cannot build the flow: "${label}" threw: ${oneLine(error)}`, {
        exitCode: 1,
        cause: error,
      });
    }
    if (!isDataflow(value)) {
      throw new CliError(`"${label}" returned ${describeKind(value)}, not a Dataflow`);
    }
    return value;
  }
  if (!isDataflow(value)) {
    throw new CliError(
      `"${label}" is ${describeKind(value)}, not a Dataflow or a function returning one`,
    );
  }
  return value;
}

/**
 * `path` as it is when absolute (POSIX or Windows) or a remote store's URL
 * (`http:`, `https:`), else relative to `cwd`.
 *
 * @param cwd The directory relative paths start from.
 * @param path A path or URL.
 * @returns The path.
 */
export function resolvePath(cwd: string, path: string): string {
  if (isKvUrl(path)) return path;
  if (path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith("\\\\")) return path;
  return `${cwd.replace(/[\\/]+$/, "")}/${path}`;
}
