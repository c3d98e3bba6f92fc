// Crash tests of the windowed flow: see _recovery_crash.ts.
import { crashAndResume, eventsInput } from "./_recovery_crash.ts";

Deno.test("crash: windows, collect and join killed with SIGKILL 20 times (6 on Node), resumed each time, write what a run without a crash writes", async () => {
  await crashAndResume("windows_flow.ts", { "events.txt": eventsInput() }, [
    "windows.txt",
    "batches.txt",
    "joined.txt",
  ]);
});
