// One archive download (GET start-execution/:id/archive) served in its own process by the
// function's own app, for the memory benchmark: the response is read to the end as a client
// would, while V8's used heap + external memory (what Supabase's Edge Runtime counts against a
// worker) is sampled every 20 ms. Prints "ready", serves when a line arrives on stdin, then
// prints a JSON report (peaks, bytes, members, milliseconds) and exits.
//   deno run -A bench/archive-process.ts <execution_id> <access_token> <api_key>
import { app } from "../supabase/functions/start-execution/app.ts";
import { closeDb } from "../shared/db/db.ts";

const [executionId, token, apiKey] = Deno.args;
if (!executionId || !token || !apiKey) {
  console.error("usage: archive-process.ts <execution_id> <access_token> <api_key>");
  Deno.exit(2);
}
console.log("ready");
await Deno.stdin.readable.getReader().read();
const idle = Deno.memoryUsage();
const peaks = { rss: 0, heapUsed: 0, external: 0, counted: 0 };
const sample = () => {
  const m = Deno.memoryUsage();
  const now = { ...m, counted: m.heapUsed + m.external };
  for (const k of Object.keys(peaks) as (keyof typeof peaks)[]) {
    peaks[k] = Math.max(peaks[k], now[k]);
  }
};
const sampler = setInterval(sample, 20);
const started = performance.now();
const res = await app.fetch(
  new Request(`http://localhost/start-execution/${executionId}/archive`, {
    headers: { authorization: `Bearer ${token}`, apikey: apiKey },
  }),
);
let bytes = 0;
let tail = new Uint8Array();
for await (const chunk of res.body!) {
  bytes += chunk.length;
  tail = chunk; // the end-of-central-directory record is in the last chunk
}
const ms = performance.now() - started;
clearInterval(sampler);
sample();
const end = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
const members = tail.length >= 22 && end.getUint32(tail.length - 22, true) === 0x06054b50
  ? end.getUint16(tail.length - 22 + 10, true)
  : -1;
console.log(JSON.stringify({
  status: res.status,
  bytes,
  members,
  ms,
  idle: { ...idle, counted: idle.heapUsed + idle.external },
  peaks,
}));
await closeDb();
Deno.exit(0);
