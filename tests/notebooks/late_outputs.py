"""An nbconvert execute preprocessor that keeps a cell's outputs that the
Deno kernel sends after it reported the cell done.

Deno's kernel sometimes sends a cell's "idle" status before the cell's last
outputs (its value, a display, a printed line). nbconvert's
ExecutePreprocessor takes "idle" as the end of the cell and drops what comes
after it, so an executed notebook would miss outputs now and then. This
subclass goes on reading the cell's messages after "idle" until none came for
QUIET_S seconds. tests/notebooks/execute.ts runs nbconvert with it (its
directory on PYTHONPATH).
"""

import asyncio
import queue

from nbclient.exceptions import CellExecutionComplete
from nbclient.util import ensure_async
from nbconvert.preprocessors import ExecutePreprocessor

# Late outputs came within a few milliseconds in every run seen; this leaves room on a loaded machine.
QUIET_S = 0.3


class LateOutputsExecutePreprocessor(ExecutePreprocessor):
    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        await super()._async_poll_output_msg(parent_msg_id, cell, cell_index)
        while True:
            try:
                msg = await asyncio.wait_for(ensure_async(self.kc.iopub_channel.get_msg(timeout=None)), QUIET_S)
            except (asyncio.TimeoutError, queue.Empty):
                return
            if msg["parent_header"].get("msg_id") == parent_msg_id:
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    pass
