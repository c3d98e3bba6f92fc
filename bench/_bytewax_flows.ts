/**
 * runnel's side of `bench:bytewax`: the wordcount and the windowed count,
 * built here so that the Worker threads of a `-w 2` run build them too (a
 * flow cannot be sent to another thread). bench/bytewax/flows.py is the
 * Bytewax side; keep the two in step.
 *
 * @module
 */

import { Dataflow, EventClock, TumblingWindower } from "../mod.ts";
import type { DynamicSink } from "../mod.ts";
import { DirSource } from "../connectors/dir_source.ts";
import { FileSource } from "../connectors/file_source.ts";

// The windows of `bench:windows`.
/** Events per key are out of order by up to this. */
export const DISORDER_MS = 5_000;
/** The clock waits this long for late events. */
export const WAIT_MS = 4_000;
/** Each window's length. */
export const LENGTH_MS = 1_000;
/** Where windows are aligned, and the standing system time. */
export const START = Date.UTC(2026, 0, 1);

/** The tutorial's tokenizer: runs of anything but spaces, punctuation and digits. */
export const tokenize = (line: string): string[] => line.match(/[^\s!,.?":;0-9]+/g) ?? [];

/** One closed window: key, window id, count. */
export type Row = [string, number, number];

/** Where each flow's results go: a sink per output. */
export interface WordcountSinks {
  counts: DynamicSink<[string, number]>;
}

/** Where each flow's results go: a sink per output. */
export interface WindowsSinks {
  down: DynamicSink<[string, [number, number]]>;
  late: DynamicSink<unknown>;
}

/** A file is read by a `FileSource`, a directory (one partition per file) by a `DirSource`. */
function lines(flow: Dataflow, path: string) {
  const source = Deno.statSync(path).isDirectory ? new DirSource(path) : new FileSource(path);
  return flow.input("inp", source);
}

/** File or directory → map lower → flatMap tokenize → countFinal. */
export function wordcount(path: string, sinks: WordcountSinks): Dataflow {
  const flow = new Dataflow("wordcount");
  lines(flow, path)
    .map("lower", (line) => line.toLowerCase())
    .flatMap("tokenize", tokenize)
    .countFinal("count", (word) => word)
    .output("out", sinks.counts);
  return flow;
}

/**
 * `key,timestamp` lines → parse → 1-second tumbling counts per key, by an
 * `EventClock` waiting 4 s. `nowGetter` reads system time: a constant one
 * keeps the watermark at the largest timestamp seen less the wait.
 */
export function windows(path: string, sinks: WindowsSinks, nowGetter?: () => number): Dataflow {
  const flow = new Dataflow("windows");
  const events = lines(flow, path).map("parse", (line): [string, number] => {
    const comma = line.indexOf(",");
    return [line.slice(0, comma), Number(line.slice(comma + 1))];
  });
  const counted = events.countWindow("count", ([key]) => key, {
    clock: EventClock(([, ts]: [string, number]) => ts, {
      waitForSystemDuration: WAIT_MS,
      ...(nowGetter === undefined ? {} : { nowGetter }),
    }),
    windower: TumblingWindower({ length: LENGTH_MS, alignTo: START }),
  });
  counted.down.output("down", sinks.down);
  counted.late.output("late", sinks.late);
  return flow;
}

/**
 * A sink that keeps its worker's items and writes them, as a JSON array, to
 * `${prefix}.${name}.${worker}.json` when the run closes it: how the Worker
 * threads hand their results back.
 */
function fileSink<T>(prefix: string, name: string): DynamicSink<T> {
  return {
    build: (_step, worker) => {
      const items: T[] = [];
      return {
        writeBatch(batch: readonly T[]) {
          for (const item of batch) items.push(item);
        },
        close() {
          Deno.writeTextFileSync(`${prefix}.${name}.${worker}.json`, JSON.stringify(items));
        },
      };
    },
  };
}

/** The wordcount each Worker thread builds: its counts go to `${prefix}.counts.<worker>.json`. */
export function wordcountToFiles(path: string, prefix: string): Dataflow {
  return wordcount(path, { counts: fileSink(prefix, "counts") });
}

/**
 * The windowed count each Worker thread builds, system time standing still
 * at `START` (threads cannot share a hand-driven time): its windows go to
 * `${prefix}.down.<worker>.json`, its late events to `${prefix}.late.<worker>.json`.
 */
export function windowsToFiles(path: string, prefix: string): Dataflow {
  return windows(
    path,
    { down: fileSink(prefix, "down"), late: fileSink(prefix, "late") },
    () => START,
  );
}
