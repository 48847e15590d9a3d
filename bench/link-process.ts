// One process-batch link alone in its own process, for the memory benchmark: the same
// runLink the function runs, with the functions' environment, so its resident memory is the
// link's own (the local functions host also carries the Storage API and every other
// function). Prints "ready" once loaded, runs the link when a line arrives on stdin, prints
// the link's report as JSON and exits. The report has, sampled every 20 ms, the peak of each
// Deno.memoryUsage() field and of `counted`, V8's used heap + external memory (what Supabase's
// Edge Runtime counts against a worker's memory limit), with their values at the start.
//   deno run -A bench/link-process.ts <execution_id>
import { runLink } from "../shared/batch/link.ts";
import { closeDb } from "../shared/db/db.ts";

const executionId = Deno.args[0];
if (!executionId) {
  console.error("usage: link-process.ts <execution_id>");
  Deno.exit(2);
}
console.log("ready");
const reader = Deno.stdin.readable.getReader();
await reader.read();
const idle = Deno.memoryUsage();
const peaks = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, counted: 0 };
const sampler = setInterval(() => {
  const m = Deno.memoryUsage();
  const now = { ...m, counted: m.heapUsed + m.external };
  for (const k of Object.keys(peaks) as (keyof typeof peaks)[]) {
    peaks[k] = Math.max(peaks[k], now[k]);
  }
}, 20);
const report = await runLink(executionId);
clearInterval(sampler);
console.log(
  JSON.stringify({ ...report, idle: { ...idle, counted: idle.heapUsed + idle.external }, peaks }),
);
await closeDb();
Deno.exit(0);
