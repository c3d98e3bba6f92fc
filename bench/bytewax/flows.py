"""The Bytewax side of `deno task bench:bytewax`.

Usage: python flows.py (wordcount | windows) INPUT RESULTS [WORKERS [PROC_ID ADDRESSES]]

Builds the flow over INPUT (a file, or a directory read one partition per
file), runs it once and prints one JSON line with the wall-clock and CPU (this
process's) seconds of the run. Only the run is timed: building the flow,
Python start-up and writing the results are not.

- Without WORKERS: `run_main` (one worker on this thread); the results go to
  RESULTS as JSON after the run.
- With WORKERS: `cluster_main` with WORKERS worker threads in this process
  (`-w`), as process PROC_ID of the cluster at ADDRESSES (`;`-separated, as
  `-a` takes them) when given (`-p`/`-i`/`-a`); in a cluster each process
  prints `ready` once its flow is built and starts when a line arrives on its
  standard input, so that no process waits for another's start-up. Each
  worker keeps its results and writes them to RESULTS.<output>.<worker>.json
  when the run closes its sink, inside the timed run, as runnel's threads do.
"""

import json
import os
import re
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import bytewax.operators as op
from bytewax.connectors.files import DirSource, FileSource
from bytewax.dataflow import Dataflow
from bytewax.operators.windowing import EventClock, TumblingWindower, count_window
from bytewax.outputs import DynamicSink, StatelessSinkPartition
from bytewax.testing import TestingSink, cluster_main, run_main

# Keep in step with bench/_bytewax_flows.ts.
START = datetime(2026, 1, 1, tzinfo=timezone.utc)
START_MS = 1767225600000
WAIT = timedelta(milliseconds=4000)
LENGTH = timedelta(milliseconds=1000)

WORD = re.compile(r'[^\s!,.?":;0-9]+')


class _FilePartition(StatelessSinkPartition):
    def __init__(self, path):
        self._path = path
        self._items = []

    def write_batch(self, items):
        self._items.extend(items)

    def close(self):
        with open(self._path, "w") as f:
            # Late events hold datetimes: written as text, only counted.
            json.dump(self._items, f, default=str)


class FileSinkOnClose(DynamicSink):
    """Keeps each worker's items; writes them to PREFIX.NAME.<worker>.json at the end."""

    def __init__(self, prefix, name):
        self._prefix = prefix
        self._name = name

    def build(self, step_id, worker_index, worker_count):
        return _FilePartition(f"{self._prefix}.{self._name}.{worker_index}.json")


def source(path):
    return DirSource(Path(path)) if os.path.isdir(path) else FileSource(path)


def wordcount(path, out):
    flow = Dataflow("wordcount")
    lines = op.input("inp", flow, source(path))
    lower = op.map("lower", lines, str.lower)
    words = op.flat_map("tokenize", lower, WORD.findall)
    counts = op.count_final("count", words, lambda word: word)
    op.output("out", counts, out["counts"])
    return flow


def parse_event(line):
    key, ms = line.split(",")
    return key, START + timedelta(milliseconds=int(ms) - START_MS)


def windows(path, out):
    flow = Dataflow("windows")
    lines = op.input("inp", flow, source(path))
    events = op.map("parse", lines, parse_event)
    # System time stands still (a constant `now_getter`, no timer wake-ups),
    # so the watermark is the largest timestamp seen per key less the wait,
    # as in runnel's run on a TestingTime or with a constant `nowGetter`.
    clock = EventClock(
        lambda event: event[1],
        wait_for_system_duration=WAIT,
        now_getter=lambda: START,
        to_system_utc=lambda _close: None,
    )
    counted = count_window(
        "count",
        events,
        clock,
        TumblingWindower(length=LENGTH, align_to=START),
        lambda event: event[0],
    )
    op.output("down", counted.down, out["down"])
    op.output("late", counted.late, out["late"])
    return flow


def main():
    subject, path, results = sys.argv[1], sys.argv[2], sys.argv[3]
    build = wordcount if subject == "wordcount" else windows
    names = ["counts"] if subject == "wordcount" else ["down", "late"]
    if len(sys.argv) == 4:
        lists = {name: [] for name in names}
        flow = build(path, {name: TestingSink(items) for name, items in lists.items()})
        go = lambda: run_main(flow)  # noqa: E731
    else:
        workers = int(sys.argv[4])
        cluster = len(sys.argv) > 5
        proc_id, addresses = (int(sys.argv[5]), sys.argv[6].split(";")) if cluster else (0, [])
        flow = build(path, {name: FileSinkOnClose(results, name) for name in names})
        go = lambda: cluster_main(flow, addresses, proc_id, worker_count_per_proc=workers)  # noqa: E731
        if cluster:
            print("ready", flush=True)
            sys.stdin.readline()
    start = time.perf_counter()
    start_cpu = time.process_time()
    go()
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - start_cpu
    if len(sys.argv) == 4:
        if subject == "wordcount":
            data = {"counts": lists["counts"]}
        else:
            rows = [[key, window_id, count] for key, (window_id, count) in lists["down"]]
            data = {"rows": rows, "late": len(lists["late"])}
        with open(results, "w") as f:
            json.dump(data, f)
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds}))


main()
