/**
 * A small command-line parser: long and short options, with or without a
 * value, and positional arguments.
 *
 * @module
 */

import { CliError, commandHint } from "./errors.ts";

/** One option a command accepts. */
export interface OptionSpec {
  /** The long name, without dashes: `"snapshot-interval"` for `--snapshot-interval`. */
  readonly long: string;
  /** The one-letter short name, without the dash: `"s"` for `-s`. */
  readonly short?: string;
  /** The value's placeholder, such as `"SECONDS"`; leave it out for a flag without a value. */
  readonly value?: string;
}

/** What {@linkcode parseArgs} found. */
export interface ParsedArgs {
  /** The arguments that are not options, in order. */
  readonly positionals: string[];
  /** Each option given, by long name: its value, or `true` for a flag. The last one given wins. */
  readonly options: Map<string, string | true>;
}

/**
 * Splits a command's arguments into options and positionals.
 *
 * Accepts `--name value`, `--name=value`, `-n value` and `-nvalue` for
 * options with a value, `--name` and `-n` for flags; `--` ends the options,
 * and `-` alone is a positional.
 *
 * @param args The arguments after the command name.
 * @param specs The options the command accepts.
 * @param command The command's name, for error messages.
 * @returns The positionals and the options given.
 * @throws {CliError} A usage error (exit code 2) for an unknown option, a
 *   missing value, or a value given to a flag.
 */
export function parseArgs(
  args: readonly string[],
  specs: readonly OptionSpec[],
  command: string,
): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  const hint = commandHint(command);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg === "-" || !arg.startsWith("-")) {
      positionals.push(arg);
      continue;
    }
    let spec: OptionSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
      spec = specs.find((s) => s.long === name);
    } else {
      spec = specs.find((s) => s.short === arg[1]);
      if (arg.length > 2) {
        // `-s5` gives a value; a flag stands alone (`-rh` is not two flags).
        inline = spec?.value === undefined ? undefined : arg.slice(2);
        if (inline === undefined) spec = undefined;
      }
    }
    if (spec === undefined) {
      const near = arg.startsWith("--")
        ? nearestOption(arg.slice(2).split("=")[0]!, specs)
        : undefined;
      throw new CliError(
        `unknown option "${arg}" for 'runnel ${command}'` +
          (near === undefined ? "" : `; did you mean ${near}?`),
        { hint },
      );
    }
    const display = spec.short === undefined ? `--${spec.long}` : `-${spec.short}/--${spec.long}`;
    if (spec.value === undefined) {
      if (inline !== undefined) {
        throw new CliError(`option ${display} takes no value, got "${inline}"`, { hint });
      }
      options.set(spec.long, true);
      continue;
    }
    if (inline === undefined) {
      if (i + 1 >= args.length) {
        throw new CliError(`option ${display} needs a value (${spec.value})`, { hint });
      }
      inline = args[++i]!;
    }
    options.set(spec.long, inline);
  }
  return { positionals, options };
}

// The option a mistyped long name most likely meant: one whose name starts
// with it or it with the name's first word, or within two edits of it.
function nearestOption(name: string, specs: readonly OptionSpec[]): string | undefined {
  if (name.length < 2) return undefined;
  let best: { spec: OptionSpec; distance: number } | undefined;
  for (const spec of specs) {
    const distance = spec.long.startsWith(name) || name.startsWith(spec.long.split("-")[0]!)
      ? 0
      : editDistance(name, spec.long);
    if (distance <= 2 && (best === undefined || distance < best.distance)) {
      best = { spec, distance };
    }
  }
  if (best === undefined) return undefined;
  const { spec } = best;
  return spec.short === undefined ? `--${spec.long}` : `-${spec.short}/--${spec.long}`;
}

// Levenshtein distance, for names of a few letters.
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(
        row[j]! + 1,
        next[j - 1]! + 1,
        row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    row = next;
  }
  return row[b.length]!;
}
