// Crash tests of the wordcount flow: see _recovery_crash.ts.
import { crashAndResume, wordcountInput } from "./_recovery_crash.ts";

Deno.test("crash: wordcount killed with SIGKILL 20 times (6 on Node), resumed each time, writes what a run without a crash writes", async () => {
  await crashAndResume("wordcount_flow.ts", { "input.txt": wordcountInput() }, [
    "counts.txt",
    "running.txt",
  ]);
});
