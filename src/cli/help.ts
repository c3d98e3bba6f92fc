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
  runnel recovery init DIR N                    create a recovery store of N partitions
  runnel recovery init URL                      create a recovery store on a denokv server
  runnel recovery inspect DIR [--json]          show what a recovery store holds
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
  runnel recovery init snapshots 4 && runnel run examples/wordcount.ts -r snapshots
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
  -r, --recovery-directory DIR     snapshot state into the recovery store DIR
                                   at every epoch and resume from its last
                                   committed epoch ('runnel recovery init'
                                   creates it); env RUNNEL_RECOVERY_DIRECTORY;
                                   DIR may be a denokv server's http(s) URL
                                   (its token in env DENO_KV_ACCESS_TOKEN)
  -b, --backup-interval SECONDS    keep older complete epochs this long before
                                   deleting them, so backups of single
                                   partitions still meet at a common epoch
                                   env RUNNEL_BACKUP_INTERVAL, default 0
      --fresh                      with -r: drop the store's snapshots and
                                   start over
  -i, --process-id I               this process's index in the cluster of -a
                                   env RUNNEL_PROCESS_ID
  -a, --addresses ADDRESSES        every cluster process's host:port, joined
                                   by ";", the same list on every process;
                                   workers are numbered across the cluster
                                   env RUNNEL_ADDRESSES
      --cluster-secret SECRET      peers prove they know it (never sent)
                                   env RUNNEL_CLUSTER_SECRET
      --startup-timeout SECONDS    wait this long for every peer, default 30,
                                   and for each Worker thread to build the
                                   flow, default 60
      --heartbeat-timeout SECONDS  a silent peer is lost after this, default 10
  -p, --processes P                start P local processes of this cluster on
                                   free loopback ports and supervise them
  -h, --help                       show this help

A flag wins over its environment variable. With RUNNEL_TRACE=1, a failure
also prints its stack trace.

With -r in a cluster (-a), every process gets the same store: a directory
when every address is on this host (the loopback), a denokv URL otherwise.
Process 0 opens it, acts on --fresh and commits; the others join it.

Exit status:
  0    the flow finished
  1    the flow failed (with -w above 1, the message names the worker), or
       the module's own code threw while it ran, or the recovery store
       cannot be used (missing or mixed partitions, another flow's, corrupt,
       held by another run)
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
  runnel run examples/wordcount.ts -r snapshots -s 5 -b 30
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

/** The help for `runnel recovery --help`. */
export const RECOVERY_HELP = `Usage: runnel recovery init DIR N
       runnel recovery init URL
       runnel recovery inspect DIR|URL [--json]

A recovery store is a directory of N partitions (part-0.kv …), each a Deno KV
database. 'runnel run flow.ts -r DIR' snapshots the flow's state into it at
every epoch (-s) and, run again after a crash, resumes from the last epoch
every partition committed. Keys are spread over the partitions by a hash of
(step, key); put partitions on different disks, or back them up one by one
(-b keeps older epochs so such backups still meet at a common epoch).

A store can instead live on a Deno KV server ('denokv --sqlite-path FILE
serve --access-token TOKEN'), named by its URL (http://host:port): one
partition, the database there, which the processes of a cluster run on
several hosts can share. Set DENO_KV_ACCESS_TOKEN to the server's token.

Commands:
  init DIR N          create DIR (if missing) with N partitions; refused when
                      DIR already holds a store
  init URL            create a store on the server at URL; refused when its
                      database already holds one
  inspect DIR         print the runs that used DIR, the committed epoch, each
                      step's keys and bytes, and the values of steps of at
                      most 16 keys (each source and sink partition's position)
      --json          print the same as one JSON object

Exit status:
  0  done
  1  the store cannot be used: the message names the file (or URL) and what
     is wrong
  2  usage error

Examples:
  runnel recovery init snapshots 4
  runnel recovery inspect snapshots --json
  DENO_KV_ACCESS_TOKEN=secret runnel recovery init http://127.0.0.1:4512
`;
