/**
 * The browser bundle (`dist/runnel.js`) loaded by a page in headless Chromium.
 *
 * Run it with `deno task test:browser`, which builds the bundle first. The
 * file is not named `*_test.ts` so that `deno task test` leaves it out: it
 * needs Chromium (`/usr/bin/chromium`, or the path in `$CHROMIUM`), which
 * the unit suite must not. Without Chromium the browser test is skipped,
 * except under `CI=true`, where it fails.
 *
 * @module
 */

import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const DIST = new URL("../../dist/", import.meta.url);
const CHROMIUM = Deno.env.get("CHROMIUM") ?? "/usr/bin/chromium";
const IN_CI = Deno.env.get("CI") === "true";
const HAS_CHROMIUM = await Deno.stat(CHROMIUM).then((info) => info.isFile, () => false);

if (!HAS_CHROMIUM && !IN_CI) {
  console.warn(`No Chromium at ${CHROMIUM}: the browser test is skipped (set $CHROMIUM).`);
}

/**
 * The page: the seed window example and a layer-1 pipe, written against the
 * bundle's exports only. It reports through `#result`: `data-state` is "ok"
 * with the outputs as JSON, or "error" with the message.
 */
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>runnel in the browser</title>
<link rel="icon" href="data:,">
<output id="result"></output>
<script type="module">
  const result = document.getElementById("result");
  try {
    const {
      Dataflow, EventClock, TumblingWindower, TestingTime, TestingSink, TestingSource, run,
      filter, fromIterable, map, pipe, toArray,
    } = await import("/runnel.js");

    const events = [
      { user: "123", value: 5, time: "2023-01-01T00:00:00Z" },
      { user: "123", value: 7, time: "2023-01-01T00:00:01Z" },
      { user: "123", value: 2, time: "2023-01-01T00:00:07Z" },
    ];
    const averages = [];
    const flow = new Dataflow("seed");
    flow.input("inp", new TestingSource(events))
      .keyOn("user", (e) => e.user)
      .collectWindow("collect", {
        clock: EventClock((e) => new Date(e.time), { waitForSystemDuration: 10_000 }),
        windower: TumblingWindower({ length: 5_000, alignTo: new Date("2023-01-01T00:00:00Z") }),
      })
      .down.mapValue("avg", ([id, es]) => [id, es.reduce((s, e) => s + e.value, 0) / es.length])
      .output("out", new TestingSink(averages));
    await run(flow, { time: new TestingTime(Date.UTC(2023, 0, 1)) });

    const tens = await toArray(
      pipe(fromIterable([1, 2, 3, 4]), filter((x) => x % 2 === 0), map((x) => x * 10)),
    );
    result.textContent = JSON.stringify({ averages, tens });
    result.dataset.state = "ok";
  } catch (error) {
    result.textContent = String(error?.stack ?? error);
    result.dataset.state = "error";
  }
</script>
`;

const TYPES: Record<string, string> = {
  "/runnel.js": "text/javascript; charset=utf-8",
  "/runnel.js.map": "application/json",
};

interface Bundle {
  bundle: Uint8Array<ArrayBuffer>;
  sourceMap: Uint8Array<ArrayBuffer>;
}

/** Serves the page and the bundle on 127.0.0.1, on a free port. */
function serve({ bundle, sourceMap }: Bundle): Deno.HttpServer<Deno.NetAddr> {
  const files: Record<string, Uint8Array<ArrayBuffer>> = {
    "/runnel.js": bundle,
    "/runnel.js.map": sourceMap,
  };
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/") return new Response(PAGE, { headers: { "content-type": "text/html" } });
    const body = files[path];
    if (body === undefined) return new Response("not found", { status: 404 });
    return new Response(body, { headers: { "content-type": TYPES[path] } });
  });
}

async function readBundle(): Promise<Bundle> {
  try {
    return {
      bundle: await Deno.readFile(new URL("runnel.js", DIST)),
      sourceMap: await Deno.readFile(new URL("runnel.js.map", DIST)),
    };
  } catch (error) {
    throw new Error("Cannot read dist/runnel.js: run `deno task build` first", { cause: error });
  }
}

Deno.test("the bundle imports no node: module and names no Deno global", async () => {
  const text = new TextDecoder().decode((await readBundle()).bundle);
  for (const pattern of [/["']node:[\w/]*/, /\bDeno\.\w*/]) {
    const found = text.match(pattern)?.[0];
    assert.equal(found, undefined, `dist/runnel.js holds ${found}, which a page cannot load`);
  }
});

Deno.test({
  name: "the bundle runs the seed window example in headless Chromium: averages 6 and 2",
  ignore: !HAS_CHROMIUM && !IN_CI,
  async fn() {
    assert.ok(
      HAS_CHROMIUM,
      `CI=true needs Chromium at ${CHROMIUM}; install it (apt-get install chromium)`,
    );
    const server = serve(await readBundle());
    const userDataDir = await Deno.makeTempDir({ prefix: "runnel-chromium-" });
    try {
      const context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      });
      try {
        const page = await context.newPage();
        const pageErrors: string[] = [];
        page.on("pageerror", (error) => pageErrors.push(error.message));
        page.on("console", (message) => {
          if (message.type() === "error") pageErrors.push(message.text());
        });
        await page.goto(`http://127.0.0.1:${server.addr.port}/`);
        const result = page.locator("#result[data-state]");
        await result.waitFor({ timeout: 15_000 });
        const text = await result.textContent() ?? "";
        assert.equal(await result.getAttribute("data-state"), "ok", `the page failed: ${text}`);
        assert.deepEqual(pageErrors, []);
        assert.deepEqual(JSON.parse(text), {
          averages: [["123", [0, 6]], ["123", [1, 2]]],
          tens: [20, 40],
        });
      } finally {
        await context.close();
      }
    } finally {
      await server.shutdown();
      await Deno.remove(userDataDir, { recursive: true });
    }
  },
});
