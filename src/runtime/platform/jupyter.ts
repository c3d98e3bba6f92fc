/**
 * The Jupyter adapter: showing and updating an output of the running cell
 * through Deno's kernel (`Deno.jupyter`). Deno only: other runtimes have no
 * such kernel, and there this adapter reports that it cannot display.
 *
 * @module
 */

/** Shows or replaces the output with `displayId`, from a MIME bundle. */
export type DisplayFn = (
  bundle: Record<string, string>,
  options: { displayId: string; update: boolean },
) => Promise<void>;

interface JupyterApi {
  display(
    obj: unknown,
    options?: { raw?: boolean; update?: boolean; display_id?: string },
  ): Promise<void>;
}

/**
 * The display function of the Deno Jupyter kernel this code runs in, or
 * `undefined` outside a kernel (a script, Bun, Node).
 */
export function jupyterDisplay(): DisplayFn | undefined {
  let jupyter: JupyterApi | undefined;
  try {
    // Outside `deno jupyter`, reading `Deno.jupyter` throws.
    jupyter = (globalThis as { Deno?: { jupyter?: JupyterApi } }).Deno?.jupyter;
  } catch {
    return undefined;
  }
  if (jupyter === undefined) return undefined;
  return (bundle, { displayId, update }) =>
    jupyter.display(bundle, { raw: true, update, display_id: displayId });
}
