/**
 * Reads an environment variable from anywhere the runtime runs, browsers
 * included, without loading a platform adapter (which would pull `node:*`
 * into the browser bundle) and without asking for a permission: on Deno the
 * variable counts only where `--allow-env` already grants it.
 *
 * @module
 */

interface DenoEnv {
  permissions: { querySync(descriptor: { name: "env"; variable: string }): { state: string } };
  env: { get(name: string): string | undefined };
}

/**
 * The value of environment variable `name`, or `undefined` when it is unset,
 * not readable without a prompt, or there is no environment (a browser).
 *
 * @param name The variable.
 * @returns Its value, or `undefined`.
 */
export function envFlag(name: string): string | undefined {
  const global = globalThis as {
    Deno?: Partial<DenoEnv>;
    process?: { env?: Record<string, string | undefined> };
  };
  try {
    const deno = global.Deno;
    if (deno?.permissions?.querySync && deno.env) {
      const { state } = deno.permissions.querySync({ name: "env", variable: name });
      return state === "granted" ? deno.env.get(name) : undefined;
    }
    return global.process?.env?.[name];
  } catch {
    return undefined;
  }
}
