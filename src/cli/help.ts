/**
 * The CLI's help texts.
 *
 * @module
 */

/**
 * The help for `runnel --help`.
 *
 * @param version runnel's version.
 * @returns The text, ending with a newline.
 */
export function mainHelp(version: string): string {
  return `runnel ${version}: a stateful stream processor for TypeScript

Usage:
  runnel run <module>[:export] [options]        run a dataflow until its inputs end
  runnel visualize <module>[:export] [options]  print a dataflow as a Mermaid flowchart
  runnel --help | --version

<module> is a path, relative to the current directory, or a URL. Without
:export, runnel takes the module's export "flow", else its default export.
The export is a Dataflow, or a function that returns one (or a promise of one):
'module:factory(3, "eu", true)' calls it with literal arguments (numbers,
strings in quotes, true, false, null), and a factory declaring more
parameters than it is given is refused.

Options:
  -h, --help     show this help; 'runnel <command> --help' shows a command's options
      --version  print runnel's version

Examples:
  runnel run examples/wordcount.ts
  runnel run flows.ts:buildFlow -s 5
  runnel visualize examples/wordcount.ts --recursive
`;
}

/** The help for `runnel run --help`. */
export const RUN_HELP = `Usage: runnel run <module>[:export] [options]

Imports <module>, takes its Dataflow and runs it in this process until every
input ends. Ctrl-C stops the run: every sink is closed (flushed) and runnel
exits with 130; a second Ctrl-C quits at once. SIGTERM and SIGHUP stop it the
same way, exiting with 143 and 129. What the steps hold open (windows not yet
closed, end-of-input aggregates) is dropped, unless --flush-on-interrupt is
given: then the first signal stops the sources and the flow ends as if its
input had, emitting its open windows and aggregates before the sinks close.

Options:
  -s, --snapshot-interval SECONDS  seconds between snapshot barriers (epochs)
                                   env RUNNEL_SNAPSHOT_INTERVAL, default 10
  -w, --workers-per-process N      workers in this process; above 1, each is a
                                   thread that imports <module> and builds the
                                   same flow, and keys are spread over them
                                   env RUNNEL_WORKERS_PER_PROCESS, default 1
      --flush-on-interrupt         on the first signal, emit open windows and
                                   aggregates before closing the sinks
  -h, --help                       show this help

A flag wins over its environment variable. With RUNNEL_TRACE=1, a failure
also prints its stack trace.

Exit status:
  0    the flow finished
  1    the flow failed (with -w above 1, the message names the worker), or
       the module's own code threw while it ran
  2    usage error: bad arguments; a module that cannot load (not found, a
       syntax error, a missing import); export not found; not a Dataflow
  129  stopped by SIGHUP
  130  interrupted by Ctrl-C (SIGINT)
  143  stopped by SIGTERM

Examples:
  runnel run examples/wordcount.ts
  runnel run flows.ts:buildFlow -s 2
  runnel run examples/wordcount.ts -w 4
  RUNNEL_SNAPSHOT_INTERVAL=30 runnel run examples/wordcount.ts
`;

/** The help for `runnel visualize --help`. */
export const VISUALIZE_HELP = `Usage: runnel visualize <module>[:export] [options]

Imports <module>, takes its Dataflow as 'runnel run' does and prints its graph
as a Mermaid flowchart, without running it. Paste the output into a
\`\`\`mermaid block on GitHub, or into https://mermaid.live, to see it.

Options:
  -r, --recursive             draw every core step, with composites as subgraphs;
                              by default each top-level step is one box
  -o, --output-format FORMAT  the output format; only "mermaid" (the default) for now
  -h, --help                  show this help

Example:
  runnel visualize examples/wordcount.ts --recursive
`;
