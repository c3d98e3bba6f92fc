"""Interrupting a notebook cell that runs `live()` stops the flow cleanly.

nbconvert cannot interrupt a cell, so this drives the Deno kernel the way
Jupyter's stop button does (jupyter_client's interrupt_kernel, which sends the
kernel SIGINT) while a cell runs `live()` over a paced source. It checks that
the cell ends with the panel saying "stopped: interrupted", that the flow's
sink was closed, and that the kernel is still alive for the next cell (without
`live`'s handler, SIGINT ends the Deno kernel).

Run it with Debian's Python, after `deno jupyter --install`:
/usr/bin/python3 tests/notebooks/interrupt_live.py
"""

import os
import sys
import time

import jupyter_client

NOTEBOOKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "notebooks")

CELL = """
import { Dataflow } from "@runnel/runnel";
import { live } from "@runnel/runnel/jupyter";
import { TestingSource } from "@runnel/runnel/testing";

let closed = false;
const paced = Array.from({ length: 2000 }, (_, i) => [TestingSource.PAUSE(20), i]).flat();
const flow = new Dataflow("interrupted");
const numbers = flow.input("inp", new TestingSource(paced));
numbers.output("out", { build: () => ({ writeBatch() {}, close() { closed = true; } }) });
await live(numbers, { every: 200 });
console.log(`sink closed: ${closed}`);
// Deno's kernel can drop stream output that arrives as a cell ends: let it go out first.
await new Promise((resolve) => setTimeout(resolve, 200));
"""


def execute(client, manager, code, interrupt_after=None, timeout=60):
    """Runs one cell; returns its iopub messages as (type, text) pairs."""
    msg_id = client.execute(code)
    started = time.monotonic()
    interrupted = False
    seen = []
    while time.monotonic() - started < timeout:
        if interrupt_after is not None and not interrupted and any(
            text.startswith("running: ") and not text.startswith("running: 0 ")
            for kind, text in seen
        ):
            manager.interrupt_kernel()
            interrupted = True
        try:
            msg = client.get_iopub_msg(timeout=0.2)
        except Exception:  # queue.Empty: nothing yet
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status" and content["execution_state"] == "idle":
            return seen
        if kind in ("display_data", "update_display_data"):
            seen.append((kind, content["data"].get("text/plain", "")))
        elif kind == "stream":
            seen.append((kind, content["text"]))
        elif kind == "error":
            seen.append((kind, f"{content['ename']}: {content['evalue']}"))
    raise TimeoutError(f"the cell did not finish in {timeout} s; saw {seen}")


def main():
    manager, client = jupyter_client.manager.start_new_kernel(kernel_name="deno", cwd=NOTEBOOKS)
    try:
        seen = execute(client, manager, CELL, interrupt_after=True)
        panels = [text for kind, text in seen if kind.endswith("display_data")]
        printed = "".join(text for kind, text in seen if kind == "stream")
        errors = [text for kind, text in seen if kind == "error"]
        assert not errors, f"the cell failed: {errors}"
        assert panels and panels[-1].startswith("stopped: interrupted: "), panels
        assert "sink closed: true" in printed, printed
        after = execute(
            client,
            manager,
            'console.log("alive", 6 * 7); await new Promise((resolve) => setTimeout(resolve, 200));',
        )
        assert ("stream", "alive 42\n") in after, after
        print(f"ok: {panels[-1]}; sink closed; the kernel still runs cells")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


if __name__ == "__main__":
    try:
        main()
    except (AssertionError, TimeoutError) as error:
        print(f"FAILED: {error!r}", file=sys.stderr)
        sys.exit(1)
