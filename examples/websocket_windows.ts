/**
 * A WebSocket feed windowed by event time: a local server sends sensor
 * readings as JSON, and the flow averages each sensor's readings over
 * 10-second tumbling windows of the readings' own timestamps.
 *
 * ```sh
 * deno run --allow-net examples/websocket_windows.ts
 * ```
 *
 * The server (on 127.0.0.1, a free port) sends a fixed list of readings,
 * some out of order and one late, then closes the connection; the source
 * ends on that close (`endOnClose`), so the run ends and prints every
 * window. A real feed would stay open, and windows would close as the
 * watermark passes them.
 *
 * @module
 */

import { WebSocketServer } from "ws";
import { Dataflow, EventClock, run, TumblingWindower } from "../mod.ts";
import { StdOutSink, WebSocketSource } from "../connectors/mod.ts";
import { platform } from "../src/runtime/platform/platform.ts";

/** One reading, as the feed sends it. */
export interface Reading {
  sensor: string;
  /** Event time, epoch milliseconds. */
  at: number;
  celsius: number;
}

const T0 = Date.UTC(2024, 0, 1);

/** What the demo server sends: two sensors, 0–25 s, the 3 s reading of "roof" arriving late. */
export const READINGS: Reading[] = [
  { sensor: "roof", at: T0 + 1_000, celsius: 20 },
  { sensor: "cellar", at: T0 + 2_000, celsius: 11 },
  { sensor: "roof", at: T0 + 6_000, celsius: 22 },
  { sensor: "cellar", at: T0 + 9_000, celsius: 13 },
  { sensor: "roof", at: T0 + 12_000, celsius: 25 },
  { sensor: "cellar", at: T0 + 14_000, celsius: 12 },
  { sensor: "roof", at: T0 + 24_000, celsius: 27 },
  // 21 s behind the latest roof reading: later than the 5 s the clock waits.
  { sensor: "roof", at: T0 + 3_000, celsius: 99 },
];

/** Starts a WebSocket server on 127.0.0.1 that sends `readings` to each client, then closes. */
export async function startFeed(
  readings: readonly Reading[],
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => server.once("listening", resolve));
  server.on(
    "connection",
    (socket: { send(data: string, done?: () => void): void; close(code: number): void }) => {
      readings.forEach((reading, i) =>
        socket.send(
          JSON.stringify(reading),
          i === readings.length - 1 ? () => socket.close(1000) : undefined,
        )
      );
    },
  );
  const { port } = server.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The flow: readings → average per sensor per 10 s window; late readings printed apart. */
export function windowsFlow(url: string): Dataflow {
  const flow = new Dataflow("websocket_windows");
  const averages = flow.input(
    "readings",
    new WebSocketSource<Reading>(url, { parse: "json", endOnClose: true }),
  )
    .keyOn("sensor", (reading) => reading.sensor)
    .foldWindow(
      "average",
      () => ({ sum: 0, n: 0 }),
      (acc, reading) => ({ sum: acc.sum + reading.celsius, n: acc.n + 1 }),
      {
        clock: EventClock((reading: Reading) => reading.at, { waitForSystemDuration: 5_000 }),
        windower: TumblingWindower({ length: 10_000, alignTo: T0 }),
        merger: (a, b) => ({ sum: a.sum + b.sum, n: a.n + b.n }),
      },
    );
  averages.down
    .map("format", ([sensor, [window, { sum, n }]]) => `${sensor} window ${window}: ${sum / n} °C`)
    .output("out", new StdOutSink());
  averages.late
    .map(
      "late",
      ([sensor, [window, reading]]) =>
        `${sensor} late for window ${window}: ${reading.celsius} °C at +${
          (reading.at - T0) / 1000
        } s`,
    )
    .output("late_out", new StdOutSink());
  return flow;
}

// Node has import.meta.main only from 24.2 on; before, the platform tells.
if (import.meta.main ?? platform.isMain(import.meta.url)) {
  const feed = await startFeed(READINGS);
  try {
    await run(windowsFlow(feed.url));
  } finally {
    await feed.close();
  }
}
