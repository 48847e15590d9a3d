// One process-batch link alone in its own process, for the memory benchmark: the same
// runLink the function runs, with the functions' environment, so its resident memory is the
// link's own (the local functions host also carries the Storage API and every other
// function). Prints "ready" once loaded, runs the link when a line arrives on stdin, prints
// the link's report as JSON (with the peak of V8's own accounting, heapUsed + external,
// sampled every 20 ms: closer to what Supabase's per-worker limit counts than RSS) and exits.
//   deno run -A bench/link-process.ts <execution_id>
import { runLink } from "../shared/batch/link.ts";
import { closeDb } from "../shared/db.ts";

const executionId = Deno.args[0];
if (!executionId) {
  console.error("usage: link-process.ts <execution_id>");
  Deno.exit(2);
}
console.log("ready");
const reader = Deno.stdin.readable.getReader();
await reader.read();
let peakHeap = 0;
let peakV8 = 0;
const sampler = setInterval(() => {
  const m = Deno.memoryUsage();
  peakHeap = Math.max(peakHeap, m.heapUsed);
  peakV8 = Math.max(peakV8, m.heapUsed + m.external);
}, 20);
const report = await runLink(executionId);
clearInterval(sampler);
console.log(
  JSON.stringify({ ...report, peak_heap_used: peakHeap, peak_heap_plus_external: peakV8 }),
);
await closeDb();
Deno.exit(0);
