/**
 * Executes every notebook in `notebooks/` with Jupyter's `nbconvert` and the
 * Deno kernel, and renders each executed notebook to HTML.
 *
 * Run it with `deno task notebooks [out-dir]` (default `.ci/out/notebooks`).
 * It needs Debian's `jupyter-nbconvert` and `python3-ipykernel` (run as
 * `/usr/bin/python3 -m nbconvert`; another Python in `$PYTHON`) and the
 * Deno kernel registered with `deno jupyter --install`. A cell that throws
 * fails its notebook, and any failed notebook makes the exit status 1. The
 * HTML uses the template in `html_template/runnel`, which keeps SVG outputs
 * intact. Cells run under `late_outputs.py`'s preprocessor, which keeps the
 * outputs Deno's kernel sends after reporting a cell done.
 * `tests/notebooks/check_executed.ts` then checks what the cells printed and
 * drew.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url);
const NOTEBOOKS = new URL("notebooks/", ROOT);
const PYTHON = Deno.env.get("PYTHON") ?? "/usr/bin/python3";
const TEMPLATES = decodeURIComponent(new URL("html_template/", import.meta.url).pathname);
// late_outputs.py, which nbconvert imports from here.
const HERE = decodeURIComponent(new URL(".", import.meta.url).pathname);
// Each cell runs in well under a second; a minute means something hangs.
const CELL_TIMEOUT_S = 60;

async function nbconvert(args: string[]): Promise<{ ok: boolean; log: string }> {
  const { code, stdout, stderr } = await new Deno.Command(PYTHON, {
    args: ["-m", "nbconvert", ...args],
    // Values shown as text/plain come from Deno.inspect, which colours them unless told not to.
    env: { NO_COLOR: "1", PYTHONPATH: HERE },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { ok: code === 0, log: decoder.decode(stdout) + decoder.decode(stderr) };
}

const outDir = Deno.args[0] ?? decodeURIComponent(new URL(".ci/out/notebooks", ROOT).pathname);
await Deno.mkdir(outDir, { recursive: true });
const names = [...Deno.readDirSync(NOTEBOOKS)]
  .filter((entry) => entry.isFile && entry.name.endsWith(".ipynb"))
  .map((entry) => entry.name)
  .sort();
if (names.length === 0) throw new Error(`No notebooks in ${NOTEBOOKS.pathname}`);

const failed: string[] = [];
for (const name of names) {
  const started = performance.now();
  const source = decodeURIComponent(new URL(name, NOTEBOOKS).pathname);
  const executed = await nbconvert([
    "--to",
    "notebook",
    // As --execute, with ExecutePreprocessor's options, but keeping late outputs.
    "--Exporter.preprocessors=late_outputs.LateOutputsExecutePreprocessor",
    "--LateOutputsExecutePreprocessor.enabled=True",
    `--ExecutePreprocessor.timeout=${CELL_TIMEOUT_S}`,
    "--ExecutePreprocessor.kernel_name=deno",
    "--output-dir",
    outDir,
    source,
  ]);
  const html = executed.ok
    ? await nbconvert([
      "--to",
      "html",
      `--TemplateExporter.extra_template_basedirs=${TEMPLATES}`,
      "--template",
      "runnel",
      "--output-dir",
      outDir,
      `${outDir}/${name}`,
    ])
    : executed;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (executed.ok && html.ok) {
    console.log(`ok ${name} (${seconds} s)`);
  } else {
    failed.push(name);
    console.log(`FAILED ${name} (${seconds} s)\n${(executed.ok ? html : executed).log}`);
  }
}
console.log(
  `${names.length - failed.length} of ${names.length} notebooks executed; output in ${outDir}`,
);
if (failed.length > 0) Deno.exit(1);
