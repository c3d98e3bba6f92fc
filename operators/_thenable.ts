/**
 * Whether `value` is a thenable. Operators await a callback's result only
 * when it is one, so a synchronous callback costs no extra microtask per item.
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") &&
    typeof (value as PromiseLike<unknown>).then === "function";
}
