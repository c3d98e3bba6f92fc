/**
 * `deno task bench:bytewax [words] [events]`: runnel and Bytewax 0.21 side by
 * side on the same generated files, in one run, on one worker and on two:
 *
 * - wordcount: a file of `words` (2,000,000) Zipf-distributed words, ten to
 *   a line with capitals and punctuation, through file source → map lower →
 *   flatMap tokenize (the tutorial's regular expression) → countFinal;
 * - windows: a file of `events` (1,000,000) `key,timestamp` lines, built like
 *   `bench:windows` (10,000 keys, out of order by up to 5 s), parsed and
 *   counted per key in 1-second tumbling windows by an `EventClock` waiting
 *   4 s, with system time standing still on both sides (runnel: a
 *   `TestingTime` on one worker, a constant `nowGetter` on threads; Bytewax:
 *   a constant `now_getter` and no timer wake-ups).
 *
 * One worker: runnel's `run` against Bytewax's `run_main`, each reading the
 * one file. Two workers: runnel on 2 Worker threads (`workers: 2` with the
 * flow module bench/_bytewax_flows.ts) against Bytewax on 2 threads of one
 * process (`-w 2`: `cluster_main` with 2 workers) and on 2 processes of one
 * worker (`-p 2`: two `cluster_main` processes over loopback TCP). These read
 * the same lines split in two files of a directory, one partition each, so
 * both workers read; the events are split by key, so each key's order, and
 * so which events are late, is that of the one file.
 *
 * Checks that every run gives the same word counts, the same window counts
 * and the same number of late events, and fails otherwise. Bytewax runs in a
 * virtual environment under `bench/.venv`, made with `python3 -m venv` and
 * `bytewax==0.21.*` on the first run and reused after. Timed on each side:
 * running the built flow to its end, reading the input included; not process
 * start-up, generating the input or comparing the results. With two workers
 * that includes starting them (runnel's Worker threads import the flow module
 * and build the flow; Bytewax's processes connect to each other, started
 * together once both have built their flow) and each worker writing its
 * results to a JSON file when its sink closes, on both sides. A `-p 2` run
 * takes as long as its slower process. Each subject runs each flow once
 * untimed, a warm-up (its seconds are each line's `first_seconds`: a cold
 * start's figure, JavaScript's compilers not yet settled), then twice more,
 * taking turns, and the faster of those counts; Worker threads and
 * Bytewax's processes start anew in every run. Each line also gives
 * `cpu_seconds`, the CPU time of the processes over that run (all their
 * threads), which load on the machine changes less, and the two-worker lines
 * `vs_1_worker`, their rate over the same side's one-worker rate.
 *
 * Last line: `{"bench":"bytewax","wordcount_ratio":…,"windows_ratio":…,
 * "wordcount_ratio_w2":…,"windows_ratio_w2":…,"wordcount_ratio_p2":…,
 * "windows_ratio_p2":…}`, runnel's rate over Bytewax's: one worker each;
 * runnel `-w 2` over Bytewax `-w 2`; runnel `-w 2` over Bytewax `-p 2`;
 * and `wordcount_loop_ratio`, a hand-written JavaScript loop's wordcount
 * (no engine) over Bytewax's: the most runnel could reach on that flow.
 *
 * @module
 */

import { run } from "../mod.ts";
import { TestingTime } from "../connectors/testing.ts";
import { seededRandom, zipf } from "./_data.ts";
import {
  DISORDER_MS,
  type Row,
  START,
  tokenize,
  windows,
  windowsToFiles,
  wordcount,
  wordcountToFiles,
} from "./_bytewax_flows.ts";
import { cpuUsage } from "node:process";

const WORDS = Number(Deno.args[0] ?? 2_000_000);
const EVENTS = Number(Deno.args[1] ?? 1_000_000);
/** Timed runs of each flow on each side, after a warm-up; the fastest counts. */
const RUNS = 2;
const VOCABULARY = 50_000;
const WORDS_PER_LINE = 10;
// The events of `bench:windows`; bench/_bytewax_flows.ts has its windows.
const KEYS = 10_000;
const EVENTS_PER_MS = 100;

const here = import.meta.dirname!;
const venv = `${here}/.venv`;
const python = `${venv}/bin/python`;
const flows = `${here}/bytewax/flows.py`;
const flowsModule = new URL("./_bytewax_flows.ts", import.meta.url).href;

async function exec(command: string, args: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(command, { args, stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(stdout);
  if (code !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} exited with ${code}:\n${new TextDecoder().decode(stderr)}`,
    );
  }
  return text;
}

/** Makes `bench/.venv` with Bytewax 0.21 unless it is there already. */
async function ensureBytewax(): Promise<string> {
  const version = ["-c", "import importlib.metadata as m; print(m.version('bytewax'))"];
  try {
    const found = (await exec(python, version)).trim();
    if (found.startsWith("0.21.")) return found;
  } catch {
    // No virtual environment yet, or no Bytewax in it: make it below.
  }
  await exec("python3", ["-m", "venv", venv]);
  await exec(python, ["-m", "pip", "install", "--quiet", "bytewax==0.21.*"]);
  return (await exec(python, version)).trim();
}

/** Bijective base 26: 0 → "a", 25 → "z", 26 → "aa", so no digits to drop. */
function letters(n: number): string {
  let word = "";
  for (; n >= 0; n = Math.floor(n / 26) - 1) word = String.fromCharCode(97 + (n % 26)) + word;
  return word;
}

function textLines(): string[] {
  const vocabulary = Array.from({ length: VOCABULARY }, (_, i) => letters(i));
  const random = seededRandom(42);
  const draw = zipf(VOCABULARY, random);
  const lines: string[] = [];
  for (let i = 0; i < WORDS / WORDS_PER_LINE; i++) {
    const words = new Array<string>(WORDS_PER_LINE);
    for (let j = 0; j < WORDS_PER_LINE; j++) {
      const word = vocabulary[draw()]!;
      words[j] = j === 0 ? word[0]!.toUpperCase() + word.slice(1) : word;
      if (random() < 0.1) words[j] += ",";
    }
    lines.push(`${words.join(" ")}.\n`);
  }
  return lines;
}

/** Each event line, with its key's number. */
function eventLines(): { key: number; line: string }[] {
  const random = seededRandom(11);
  const lines: { key: number; line: string }[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const ts = START + Math.floor(i / EVENTS_PER_MS) - Math.floor(random() * DISORDER_MS);
    const key = Math.floor(random() * KEYS);
    lines.push({ key, line: `k${key},${ts}\n` });
  }
  return lines;
}

/** Wall-clock and CPU seconds of one run of a flow. */
interface Timed {
  seconds: number;
  /** CPU time of the processes that ran it, on all their threads; load changes it less. */
  cpuSeconds: number;
}

function timeSince(start: number, startCpu: ReturnType<typeof cpuUsage>): Timed {
  const { user, system } = cpuUsage(startCpu);
  return { seconds: (performance.now() - start) / 1000, cpuSeconds: (user + system) / 1e6 };
}

/** Each word with its count. */
interface WordCounts extends Timed {
  counts: [string, number][];
}

/** Every closed window's count and the number of late events. */
interface WindowCounts extends Timed {
  rows: Row[];
  late: number;
}

type Subject = "wordcount" | "windows";
type Results<S extends Subject> = S extends "wordcount" ? WordCounts : WindowCounts;

async function runnelWordcount(path: string): Promise<WordCounts> {
  const counts: [string, number][] = [];
  const flow = wordcount(path, {
    counts: {
      build: () => ({
        writeBatch(batch) {
          for (const row of batch) counts.push(row);
        },
      }),
    },
  });
  const start = performance.now();
  const startCpu = cpuUsage();
  await run(flow);
  return { ...timeSince(start, startCpu), counts };
}

/**
 * The wordcount as a hand-written loop over the file's text, no engine: what
 * JavaScript itself reaches on this flow (the same tokenizer, one map, the
 * words sorted as `countFinal` emits them).
 */
async function loopWordcount(path: string): Promise<WordCounts> {
  const start = performance.now();
  const startCpu = cpuUsage();
  const text = await Deno.readTextFile(path);
  const counts = new Map<string, number>();
  for (const line of text.split("\n")) {
    for (const word of tokenize(line.toLowerCase())) counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  const sorted = [...counts].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
  return { ...timeSince(start, startCpu), counts: sorted };
}

async function runnelWindows(path: string): Promise<WindowCounts> {
  const rows: Row[] = [];
  let late = 0;
  const flow = windows(path, {
    down: {
      build: () => ({
        writeBatch(batch) {
          for (const [key, [id, count]] of batch) rows.push([key, id, count]);
        },
      }),
    },
    late: { build: () => ({ writeBatch: (batch) => void (late += batch.length) }) },
  });
  const start = performance.now();
  const startCpu = cpuUsage();
  await run(flow, { time: new TestingTime(START) });
  return { ...timeSince(start, startCpu), rows, late };
}

/** Reads, merges and deletes the files `${prefix}.<output>.<worker>.json` of `workers` workers. */
async function readWorkerFiles(
  subject: Subject,
  prefix: string,
  workers: number,
): Promise<{ counts: [string, number][] } | { rows: Row[]; late: number }> {
  const read = async <T>(output: string): Promise<T[]> => {
    const items: T[] = [];
    for (let w = 0; w < workers; w++) {
      const path = `${prefix}.${output}.${w}.json`;
      items.push(...JSON.parse(await Deno.readTextFile(path)) as T[]);
      await Deno.remove(path);
    }
    return items;
  };
  if (subject === "wordcount") return { counts: await read<[string, number]>("counts") };
  const down = await read<[string, [number, number]]>("down");
  return {
    rows: down.map(([key, [id, count]]): Row => [key, id, count]),
    late: (await read("late")).length,
  };
}

/** Runs runnel's flow on 2 Worker threads; each thread writes its results to a file. */
async function runnelThreads<S extends Subject>(
  subject: S,
  input: string,
  prefix: string,
): Promise<Results<S>> {
  const build = subject === "wordcount" ? wordcountToFiles : windowsToFiles;
  const args = [input, prefix];
  const flow = build(input, prefix);
  const module = { url: flowsModule, export: build.name, args };
  const start = performance.now();
  const startCpu = cpuUsage();
  await run(flow, { workers: 2, module });
  const timed = timeSince(start, startCpu);
  return { ...await readWorkerFiles(subject, prefix, 2), ...timed } as Results<S>;
}

/** The last line a Bytewax run printed: its seconds and CPU seconds. */
function bytewaxTimes(printed: string): Timed {
  const { seconds, cpu_seconds: cpuSeconds } = JSON.parse(printed.trim().split("\n").at(-1)!);
  return { seconds, cpuSeconds };
}

/** Runs one flow of bench/bytewax/flows.py on one worker; its results come back through a file. */
async function bytewax<S extends Subject>(
  subject: S,
  input: string,
  dir: string,
): Promise<Results<S>> {
  const results = `${dir}/${subject}_results.json`;
  const timed = bytewaxTimes(await exec(python, [flows, subject, input, results]));
  return { ...JSON.parse(await Deno.readTextFile(results)), ...timed };
}

/** Runs one flow of bench/bytewax/flows.py on 2 worker threads of one process (`-w 2`). */
async function bytewaxThreads<S extends Subject>(
  subject: S,
  input: string,
  prefix: string,
): Promise<Results<S>> {
  const timed = bytewaxTimes(await exec(python, [flows, subject, input, prefix, "2"]));
  return { ...await readWorkerFiles(subject, prefix, 2), ...timed } as Results<S>;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * Runs one flow of bench/bytewax/flows.py on 2 processes of one worker each
 * (`-p 2`): both start once both have built their flow, so neither waits for
 * the other's Python start-up. The run took as long as the slower process's
 * run, and the CPU time of both.
 */
async function bytewaxProcesses<S extends Subject>(
  subject: S,
  input: string,
  prefix: string,
): Promise<Results<S>> {
  const addresses = [freePort(), freePort()].map((port) => `127.0.0.1:${port}`).join(";");
  const children = [0, 1].map((i) =>
    new Deno.Command(python, {
      args: [flows, subject, input, prefix, "1", `${i}`, addresses],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn()
  );
  const outputs = children.map((child) => {
    let ready!: () => void;
    const readyPromise = new Promise<void>((resolve) => ready = resolve);
    const text = async (stream: ReadableStream<Uint8Array>, onText?: (s: string) => void) => {
      let all = "";
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        all += chunk;
        onText?.(all);
      }
      return all;
    };
    const stdout = text(child.stdout, (all) => all.startsWith("ready\n") && ready());
    const stderr = text(child.stderr);
    const failed = child.status.then(async ({ code }) => {
      if (code !== 0) throw new Error(`Bytewax process exited with ${code}:\n${await stderr}`);
    });
    return { ready: Promise.race([readyPromise, failed]), stdout, failed };
  });
  try {
    await Promise.all(outputs.map((output) => output.ready));
    for (const child of children) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode("go\n"));
      await writer.close();
    }
    await Promise.all(outputs.map((output) => output.failed));
  } catch (error) {
    for (const child of children) child.kill();
    throw error;
  }
  const times = await Promise.all(outputs.map(async (output) => bytewaxTimes(await output.stdout)));
  const timed = {
    seconds: Math.max(...times.map((t) => t.seconds)),
    cpuSeconds: times.reduce((sum, t) => sum + t.cpuSeconds, 0),
  };
  return { ...await readWorkerFiles(subject, prefix, 2), ...timed } as Results<S>;
}

/** Why two word counts differ, if they do. */
function wordsDiffer(a: WordCounts, b: WordCounts): string | undefined {
  const counts = new Map(a.counts);
  if (counts.size !== b.counts.length) {
    return `${counts.size} and ${b.counts.length} distinct words`;
  }
  const wrong = b.counts.find(([word, count]) => counts.get(word) !== count);
  if (wrong) return `${JSON.stringify(wrong[0])} counted ${counts.get(wrong[0])} and ${wrong[1]}`;
  return undefined;
}

/** Why two window counts differ, if they do. */
function windowsDiffer(a: WindowCounts, b: WindowCounts): string | undefined {
  if (a.late !== b.late) return `${a.late} and ${b.late} late events`;
  const counts = new Map(a.rows.map(([key, id, count]) => [`${key} ${id}`, count]));
  if (counts.size !== b.rows.length) return `${counts.size} and ${b.rows.length} windows`;
  const wrong = b.rows.find(([key, id, count]) => counts.get(`${key} ${id}`) !== count);
  if (wrong) {
    return `key ${wrong[0]} window ${wrong[1]} counted ${counts.get(`${wrong[0]} ${wrong[1]}`)} ` +
      `and ${wrong[2]}`;
  }
  return undefined;
}

/**
 * Runs each runner in turn, once untimed (a warm-up: JavaScript's compilers
 * and Python's imports settle in it, and it is reported as `first_seconds`)
 * and then `RUNS` times over, so load on the machine falls on all alike;
 * fails unless every result agrees with the first runner's. Returns each
 * runner's fastest timed run, with its warm-up's seconds.
 */
async function sideBySide<R extends Timed>(
  flow: string,
  runners: Record<string, () => Promise<R>>,
  differ: (a: R, b: R) => string | undefined,
): Promise<Record<string, R & { firstSeconds: number }>> {
  const best: Record<string, R & { firstSeconds: number }> = {};
  const firsts: Record<string, number> = {};
  for (let i = -1; i < RUNS; i++) {
    let first: [string, R] | undefined;
    for (const [name, runner] of Object.entries(runners)) {
      const result = await runner();
      const difference = first && differ(first[1], result);
      if (difference !== undefined) {
        throw new Error(`${first![0]} and ${name} disagree on ${flow}: ${difference}`);
      }
      first ??= [name, result];
      if (i < 0) {
        firsts[name] = result.seconds;
        continue;
      }
      const fastest = best[name];
      if (fastest === undefined || result.seconds < fastest.seconds) {
        best[name] = { ...result, firstSeconds: firsts[name]! };
      }
    }
  }
  return best;
}

function report(
  subject: string,
  items: string,
  count: number,
  timed: Timed & { firstSeconds: number },
  more = {},
) {
  const rate = count / timed.seconds;
  console.log(JSON.stringify({
    bench: "bytewax",
    subject,
    [items]: count,
    ...more,
    first_seconds: +timed.firstSeconds.toFixed(3),
    seconds: +timed.seconds.toFixed(3),
    cpu_seconds: +timed.cpuSeconds.toFixed(3),
    [`${items}_per_s`]: Math.round(rate),
  }));
  return rate;
}

const version = await ensureBytewax();
const dir = await Deno.makeTempDir({ prefix: "runnel_bench_bytewax_" });
try {
  // One file each for one worker; for two, the same lines in two files of a
  // directory, one partition each, so that both workers read. The events go
  // to a file by their key, so each key's events keep their order whichever
  // way the two partitions interleave (the order decides which are late).
  const text = `${dir}/words.txt`;
  const events = `${dir}/events.csv`;
  const textParts = `${dir}/words`;
  const eventParts = `${dir}/events`;
  const lines = textLines();
  const half = lines.length >> 1;
  await Deno.writeTextFile(text, lines.join(""));
  await Deno.mkdir(textParts);
  await Deno.writeTextFile(`${textParts}/0.txt`, lines.slice(0, half).join(""));
  await Deno.writeTextFile(`${textParts}/1.txt`, lines.slice(half).join(""));
  const eventList = eventLines();
  await Deno.writeTextFile(events, eventList.map((e) => e.line).join(""));
  await Deno.mkdir(eventParts);
  for (const part of [0, 1]) {
    const mine = eventList.filter((e) => e.key % 2 === part).map((e) => e.line).join("");
    await Deno.writeTextFile(`${eventParts}/${part}.csv`, mine);
  }
  const prefix = (subject: string) => `${dir}/${subject}`;
  const bw = `bytewax ${version}`;

  const words = await sideBySide("wordcount", {
    runnel: () => runnelWordcount(text),
    bytewax: () => bytewax("wordcount", text, dir),
    loop: () => loopWordcount(text),
  }, wordsDiffer);
  const names: Record<string, string> = { runnel: "runnel", bytewax: bw, loop: "JavaScript loop" };
  const wordRates = Object.fromEntries(
    Object.entries(words).map(([name, timed]) => [
      name,
      report(`${names[name]} wordcount`, "words", WORDS, timed, {
        distinct: timed.counts.length,
      }),
    ]),
  );

  const windowed = await sideBySide("windows", {
    runnel: () => runnelWindows(events),
    bytewax: () => bytewax("windows", events, dir),
  }, windowsDiffer);
  const windowRates = Object.fromEntries(
    Object.entries(windowed).map(([name, timed]) => [
      name,
      report(`${name === "runnel" ? "runnel" : bw} windows`, "events", EVENTS, timed, {
        windows: timed.rows.length,
        late: timed.late,
      }),
    ]),
  );

  // Two workers: runnel on 2 Worker threads, Bytewax on 2 threads of one
  // process (-w 2) and on 2 processes (-p 2), each from the directories.
  const labels: Record<string, string> = {
    runnel: "runnel -w 2",
    bytewax: `${bw} -w 2`,
    bytewaxProcesses: `${bw} -p 2`,
  };
  const words2 = await sideBySide("wordcount on 2 workers", {
    runnel: () => runnelThreads("wordcount", textParts, prefix("wordcount")),
    bytewax: () => bytewaxThreads("wordcount", textParts, prefix("wordcount")),
    bytewaxProcesses: () => bytewaxProcesses("wordcount", textParts, prefix("wordcount")),
  }, wordsDiffer);
  const wordRates2 = Object.fromEntries(
    Object.entries(words2).map(([name, timed]) => {
      const rate = WORDS / timed.seconds;
      const side = name === "runnel" ? "runnel" : "bytewax";
      return [
        name,
        report(`${labels[name]} wordcount`, "words", WORDS, timed, {
          distinct: timed.counts.length,
          vs_1_worker: +(rate / wordRates[side]!).toFixed(2),
        }),
      ];
    }),
  );

  const windowed2 = await sideBySide("windows on 2 workers", {
    runnel: () => runnelThreads("windows", eventParts, prefix("windows")),
    bytewax: () => bytewaxThreads("windows", eventParts, prefix("windows")),
    bytewaxProcesses: () => bytewaxProcesses("windows", eventParts, prefix("windows")),
  }, windowsDiffer);
  const windowRates2 = Object.fromEntries(
    Object.entries(windowed2).map(([name, timed]) => {
      const rate = EVENTS / timed.seconds;
      const side = name === "runnel" ? "runnel" : "bytewax";
      return [
        name,
        report(`${labels[name]} windows`, "events", EVENTS, timed, {
          windows: timed.rows.length,
          late: timed.late,
          vs_1_worker: +(rate / windowRates[side]!).toFixed(2),
        }),
      ];
    }),
  );

  // The windows of one worker and of two must agree too: the split into two
  // files keeps each key's order, so the same events are late.
  const difference = windowsDiffer(windowed.runnel!, windowed2.runnel!);
  if (difference !== undefined) throw new Error(`runnel -w 1 and -w 2 disagree: ${difference}`);

  const ratio = (a: number, b: number) => +(a / b).toFixed(2);
  console.log(JSON.stringify({
    bench: "bytewax",
    wordcount_ratio: ratio(wordRates.runnel!, wordRates.bytewax!),
    windows_ratio: ratio(windowRates.runnel!, windowRates.bytewax!),
    wordcount_ratio_w2: ratio(wordRates2.runnel!, wordRates2.bytewax!),
    windows_ratio_w2: ratio(windowRates2.runnel!, windowRates2.bytewax!),
    wordcount_ratio_p2: ratio(wordRates2.runnel!, wordRates2.bytewaxProcesses!),
    windows_ratio_p2: ratio(windowRates2.runnel!, windowRates2.bytewaxProcesses!),
    wordcount_loop_ratio: ratio(wordRates.loop!, wordRates.bytewax!),
  }));
} finally {
  await Deno.remove(dir, { recursive: true });
}
