/**
 * `deno task bench:bytewax [words] [events]`: runnel and Bytewax 0.21 side by
 * side, one worker each, on the same generated files, in one run:
 *
 * - wordcount: a file of `words` (2,000,000) Zipf-distributed words, ten to
 *   a line with capitals and punctuation, through file source → map lower →
 *   flatMap tokenize (the tutorial's regular expression) → countFinal;
 * - windows: a file of `events` (1,000,000) `key,timestamp` lines, built like
 *   `bench:windows` (10,000 keys, out of order by up to 5 s), parsed and
 *   counted per key in 1-second tumbling windows by an `EventClock` waiting
 *   4 s, with system time standing still on both sides (runnel: a
 *   `TestingTime`; Bytewax: a constant `now_getter` and no timer wake-ups).
 *
 * Checks both give the same word counts, the same window counts and the same
 * number of late events, and fails otherwise. Bytewax runs in a virtual
 * environment under `bench/.venv`, made with `python3 -m venv` and
 * `bytewax==0.21.*` on the first run and reused after. Timed on each side:
 * running the built flow to its end (`run` here, `run_main` in Python),
 * reading the file included; not process start-up, generating the input or
 * comparing the results. Each side runs each flow twice, the two sides taking
 * turns, and the faster run counts. Each line also gives `cpu_seconds`, the
 * process's CPU time over that run, which load on the machine changes less.
 *
 * @module
 */

import { Dataflow, EventClock, run, TumblingWindower } from "../mod.ts";
import { FileSource } from "../connectors/file_source.ts";
import { TestingTime } from "../connectors/testing.ts";
import { seededRandom, zipf } from "./_data.ts";
import { cpuUsage } from "node:process";

const WORDS = Number(Deno.args[0] ?? 2_000_000);
const EVENTS = Number(Deno.args[1] ?? 1_000_000);
/** Runs of each flow on each side; the fastest counts. */
const RUNS = 2;
const VOCABULARY = 50_000;
const WORDS_PER_LINE = 10;
// The windows of `bench:windows`; bench/bytewax/flows.py repeats these.
const KEYS = 10_000;
const DISORDER_MS = 5_000;
const WAIT_MS = 4_000;
const LENGTH_MS = 1_000;
const EVENTS_PER_MS = 100;
const START = Date.UTC(2026, 0, 1);

const here = import.meta.dirname!;
const venv = `${here}/.venv`;
const python = `${venv}/bin/python`;
const flows = `${here}/bytewax/flows.py`;

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

function textLines(): string {
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
  return lines.join("");
}

function eventLines(): string {
  const random = seededRandom(11);
  const lines: string[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const ts = START + Math.floor(i / EVENTS_PER_MS) - Math.floor(random() * DISORDER_MS);
    lines.push(`k${Math.floor(random() * KEYS)},${ts}\n`);
  }
  return lines.join("");
}

/** The tutorial's tokenizer: runs of anything but spaces, punctuation and digits. */
const tokenize = (line: string): string[] => line.match(/[^\s!,.?":;0-9]+/g) ?? [];

/** Wall-clock and CPU seconds of one run of a flow. */
interface Timed {
  seconds: number;
  /** This process's CPU time, on all its threads; load on the machine changes it less. */
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

async function runnelWordcount(path: string): Promise<WordCounts> {
  const counts: [string, number][] = [];
  const flow = new Dataflow("wordcount");
  flow.input("inp", new FileSource(path))
    .map("lower", (line) => line.toLowerCase())
    .flatMap("tokenize", tokenize)
    .countFinal("count", (word) => word)
    .output("out", {
      build: () => ({
        writeBatch(batch: readonly [string, number][]) {
          for (const row of batch) counts.push(row);
        },
      }),
    });
  const start = performance.now();
  const startCpu = cpuUsage();
  await run(flow);
  return { ...timeSince(start, startCpu), counts };
}

/** One closed window: key, window id, count. */
type Row = [string, number, number];

/** Every closed window's count and the number of late events. */
interface WindowCounts extends Timed {
  rows: Row[];
  late: number;
}

async function runnelWindows(path: string): Promise<WindowCounts> {
  const rows: Row[] = [];
  let late = 0;
  const flow = new Dataflow("windows");
  const events = flow.input("inp", new FileSource(path)).map("parse", (line): [string, number] => {
    const comma = line.indexOf(",");
    return [line.slice(0, comma), Number(line.slice(comma + 1))];
  });
  const counted = events.countWindow("count", ([key]) => key, {
    clock: EventClock(([, ts]: [string, number]) => ts, { waitForSystemDuration: WAIT_MS }),
    windower: TumblingWindower({ length: LENGTH_MS, alignTo: START }),
  });
  counted.down.output("down", {
    build: () => ({
      writeBatch(batch: readonly [string, [number, number]][]) {
        for (const [key, [id, count]] of batch) rows.push([key, id, count]);
      },
    }),
  });
  counted.late.output("late", {
    build: () => ({
      writeBatch(batch: readonly unknown[]) {
        late += batch.length;
      },
    }),
  });
  const start = performance.now();
  const startCpu = cpuUsage();
  await run(flow, { time: new TestingTime(START) });
  return { ...timeSince(start, startCpu), rows, late };
}

/** Runs one flow of bench/bytewax/flows.py; its results come back through a file. */
async function bytewax<R>(subject: string, input: string, dir: string): Promise<R> {
  const results = `${dir}/${subject}_results.json`;
  const printed = await exec(python, [flows, subject, input, results, "1"]);
  const { seconds, cpu_seconds: cpuSeconds } = JSON.parse(printed.trim().split("\n").at(-1)!);
  return { ...(JSON.parse(await Deno.readTextFile(results)) as R), seconds, cpuSeconds };
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
 * Runs runnel, then Bytewax, `RUNS` times over, so load on the machine falls
 * on both alike; fails unless every pair of results agrees. Returns each
 * side's fastest run.
 */
async function sideBySide<R extends Timed>(
  flow: string,
  ours: () => Promise<R>,
  theirs: () => Promise<R>,
  differ: (a: R, b: R) => string | undefined,
): Promise<{ ours: R; theirs: R }> {
  let best: { ours: R; theirs: R } | undefined;
  for (let i = 0; i < RUNS; i++) {
    const pair = { ours: await ours(), theirs: await theirs() };
    const difference = differ(pair.ours, pair.theirs);
    if (difference !== undefined) {
      throw new Error(`runnel and Bytewax disagree on ${flow}: ${difference}`);
    }
    best = {
      ours: best && best.ours.seconds <= pair.ours.seconds ? best.ours : pair.ours,
      theirs: best && best.theirs.seconds <= pair.theirs.seconds ? best.theirs : pair.theirs,
    };
  }
  return best!;
}

function report(subject: string, items: string, count: number, timed: Timed, more = {}) {
  const rate = count / timed.seconds;
  console.log(JSON.stringify({
    bench: "bytewax",
    subject,
    [items]: count,
    ...more,
    seconds: +timed.seconds.toFixed(3),
    cpu_seconds: +timed.cpuSeconds.toFixed(3),
    [`${items}_per_s`]: Math.round(rate),
  }));
  return rate;
}

const version = await ensureBytewax();
const dir = await Deno.makeTempDir({ prefix: "runnel_bench_bytewax_" });
try {
  const text = `${dir}/words.txt`;
  const events = `${dir}/events.csv`;
  await Deno.writeTextFile(text, textLines());
  await Deno.writeTextFile(events, eventLines());

  const words = await sideBySide(
    "wordcount",
    () => runnelWordcount(text),
    () => bytewax<WordCounts>("wordcount", text, dir),
    wordsDiffer,
  );
  const runnelWords = report("runnel wordcount", "words", WORDS, words.ours, {
    distinct: words.ours.counts.length,
  });
  const bytewaxWords = report(
    `bytewax ${version} wordcount`,
    "words",
    WORDS,
    words.theirs,
    {
      distinct: words.theirs.counts.length,
    },
  );

  const windows = await sideBySide(
    "windows",
    () => runnelWindows(events),
    () => bytewax<WindowCounts>("windows", events, dir),
    windowsDiffer,
  );
  const runnelEvents = report("runnel windows", "events", EVENTS, windows.ours, {
    windows: windows.ours.rows.length,
    late: windows.ours.late,
  });
  const bytewaxEvents = report(
    `bytewax ${version} windows`,
    "events",
    EVENTS,
    windows.theirs,
    {
      windows: windows.theirs.rows.length,
      late: windows.theirs.late,
    },
  );

  console.log(JSON.stringify({
    bench: "bytewax",
    wordcount_ratio: +(runnelWords / bytewaxWords).toFixed(2),
    windows_ratio: +(runnelEvents / bytewaxEvents).toFixed(2),
  }));
} finally {
  await Deno.remove(dir, { recursive: true });
}
