/**
 * How `StdOutSink` prints an item: one line, the same on every runtime.
 *
 * @module
 */

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Formats an item as one line of text. Strings print as they are; anything
 * else prints like a JavaScript literal in `deno fmt` style: `["to", 4]`,
 * `{ word: "to", count: 4 }`, `Map(1) { "a" => 1 }`, `12n`. Dates print as
 * ISO strings, errors as `Name: message`, and objects whose class defines
 * its own `toString` (a `URL`, say) through it. Cycles print as `[Circular]`.
 *
 * `console.log` is not used: its format differs between Deno, Node and Bun,
 * and it breaks long values over several lines.
 *
 * @param item Anything.
 * @returns A single line, without a line terminator (unless a string item has one).
 */
export function formatItem(item: unknown): string {
  if (typeof item === "string") return item;
  try {
    return formatValue(item, new Set());
  } catch {
    // A throwing getter or toString must not take the flow down over a print.
    return Object.prototype.toString.call(item);
  }
}

function formatValue(value: unknown, seen: Set<object>): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Object.is(value, -0) ? "-0" : String(value);
    case "bigint":
      return `${value}n`;
    case "boolean":
    case "undefined":
      return String(value);
    case "symbol":
      return value.toString();
    case "function":
      return `[function ${value.name || "anonymous"}]`;
  }
  if (value === null) return "null";
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
      return `[${Array.from(object, (item) => formatValue(item, seen)).join(", ")}]`;
    }
    if (object instanceof Map) {
      const entries = [...object].map(([k, v]) =>
        `${formatValue(k, seen)} => ${formatValue(v, seen)}`
      );
      return `Map(${object.size}) ${braces(entries)}`;
    }
    if (object instanceof Set) {
      return `Set(${object.size}) ${braces([...object].map((item) => formatValue(item, seen)))}`;
    }
    if (ArrayBuffer.isView(object) && !(object instanceof DataView)) {
      const items = Array.from(
        object as unknown as ArrayLike<number | bigint>,
        (item) => formatValue(item, seen),
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
      `${IDENTIFIER.test(key) ? key : JSON.stringify(key)}: ${formatValue(object[key], seen)}`
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
