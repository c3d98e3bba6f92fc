/**
 * Escaping and number formatting shared by the SVG and HTML renderers.
 *
 * @module
 */

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for XML/HTML element content and double-quoted attributes. */
export function escapeMarkup(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A coordinate for SVG: at most two decimals, no `-0`. */
export function coord(n: number): string {
  const rounded = Math.round(n * 100) / 100;
  return String(rounded === 0 ? 0 : rounded);
}

/** The font every picture uses. */
export const FONT = "Helvetica, Arial, sans-serif";

/**
 * A short text for any value in a table cell or label: strings as they are,
 * dates as ISO text, arrays and objects as compact JSON-like text.
 */
export function formatValue(value: unknown, max = 80): string {
  const text = typeof value === "string" ? value : formatNested(value, 0);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function formatNested(value: unknown, depth: number): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isInteger(value) || !Number.isFinite(value)
        ? String(value)
        : String(Math.round(value * 1e4) / 1e4);
    case "bigint":
      return `${value}n`;
    case "undefined":
      return "undefined";
    case "function":
      return `[function ${value.name || "anonymous"}]`;
    case "symbol":
    case "boolean":
      return String(value);
  }
  if (value instanceof Date) {
    return Number.isNaN(+value) ? "Invalid Date" : value.toISOString();
  }
  if (depth > 3) return Array.isArray(value) ? "[…]" : "{…}";
  if (Array.isArray(value)) {
    return `[${value.map((v) => formatNested(v, depth + 1)).join(", ")}]`;
  }
  if (value instanceof Map) {
    return `Map {${
      [...value].map(([k, v]) => `${formatNested(k, depth + 1)} => ${formatNested(v, depth + 1)}`)
        .join(", ")
    }}`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  return `{${entries.map(([k, v]) => `${k}: ${formatNested(v, depth + 1)}`).join(", ")}}`;
}
