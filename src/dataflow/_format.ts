/**
 * How runnel prints a value, everywhere it prints one: error messages
 * (`describeValue`), `inspect()`'s default output and `StdOutSink`'s lines.
 *
 * @module
 */

/** How {@linkcode formatValue} prints. */
export interface FormatOptions {
  /**
   * `"json"` (the default) prints compound values as JSON, as error messages
   * do: `{"id":7}`. `"literal"` prints them like JavaScript literals in
   * `deno fmt` style, the same on every runtime: `{ id: 7 }`,
   * `Map(1) { "a" => 1 }`, with cycles as `[Circular]`.
   */
  style?: "json" | "literal";
  /** Whether a string value prints as it is, not quoted. */
  bareStrings?: boolean;
  /** Longer text is cut to this many characters and ends with `…`. */
  maxChars?: number;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Prints `value` on one line, never throwing: a throwing getter or
 * `toString` prints as `[object Object]` instead of failing the flow over a
 * print. In both styles `undefined`, bigints (`12n`), symbols and functions
 * (`[function name]`) print as themselves rather than vanishing.
 *
 * @param value Anything.
 * @param options The style, bare strings and the length limit.
 * @returns One line, unless a bare string holds a line break.
 */
export function formatValue(value: unknown, options: FormatOptions = {}): string {
  const { style = "json", bareStrings = false, maxChars = Infinity } = options;
  let text: string;
  try {
    if (bareStrings && typeof value === "string") text = value;
    else text = style === "json" ? json(value) : literal(value, new Set());
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}

/** What both styles print alike, or `undefined`. */
function scalar(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "bigint":
      return `${value}n`;
    case "undefined":
      return "undefined";
    case "symbol":
      return value.toString();
    case "function":
      return `[function ${value.name || "anonymous"}]`;
  }
  return undefined;
}

function json(value: unknown): string {
  const text = scalar(value);
  if (text !== undefined) return text;
  if (value instanceof Date) return `Date(${value.toISOString()})`;
  return JSON.stringify(value, (_k, v) => typeof v === "bigint" ? `${v}n` : v) ?? String(value);
}

function literal(value: unknown, seen: Set<object>): string {
  const text = scalar(value);
  if (text !== undefined) return text;
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value);
  if (typeof value === "boolean" || value === null) return String(value);
  const object = value as Record<string, unknown>;
  if (seen.has(object)) return "[Circular]";
  if (object instanceof Date) {
    return Number.isNaN(object.getTime()) ? "Invalid Date" : object.toISOString();
  }
  if (object instanceof Error) return `${object.name}: ${object.message}`;
  if (object instanceof RegExp) return String(object);
  seen.add(object);
  try {
    if (Array.isArray(object)) {
      return `[${Array.from(object, (item) => literal(item, seen)).join(", ")}]`;
    }
    if (object instanceof Map) {
      const entries = [...object].map(([k, v]) => `${literal(k, seen)} => ${literal(v, seen)}`);
      return `Map(${object.size}) ${braces(entries)}`;
    }
    if (object instanceof Set) {
      return `Set(${object.size}) ${braces([...object].map((item) => literal(item, seen)))}`;
    }
    if (ArrayBuffer.isView(object) && !(object instanceof DataView)) {
      const items = Array.from(
        object as unknown as ArrayLike<number | bigint>,
        (item) => literal(item, seen),
      );
      return `${object.constructor.name}(${items.length}) [${items.join(", ")}]`;
    }
    const proto = Object.getPrototypeOf(object);
    const plain = proto === null || proto === Object.prototype;
    if (
      !plain && object.toString !== Object.prototype.toString &&
      typeof object.toString === "function"
    ) {
      return String(object);
    }
    const entries = Object.keys(object).map((key) =>
      `${IDENTIFIER.test(key) ? key : JSON.stringify(key)}: ${literal(object[key], seen)}`
    );
    const name = plain ? "" : `${proto.constructor?.name ?? "Object"} `;
    return `${name}${braces(entries)}`;
  } finally {
    seen.delete(object);
  }
}

function braces(entries: string[]): string {
  return entries.length === 0 ? "{}" : `{ ${entries.join(", ")} }`;
}
