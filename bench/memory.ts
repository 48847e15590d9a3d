// Benchmark 6, memory: one process-batch link of an execution at concurrency 10 whose images
// are 2K-sized (~3 MB base64 each; see large-image-gemini.ts), run alone in its own process
// (bench/link-process.ts). The link sizes its slots with BATCH_LINK_MAX_IN_FLIGHT_MB and kicks
// helper links (other workers on Supabase) for the rest of the concurrency; the report says how
// many images it kept in flight.
//
// Two figures, both ÷ Supabase's 256 MB per worker:
// - what the platform counts: Supabase's Edge Runtime (supabase/edge-runtime, MemCheck in
//   crates/base/src/deno_runtime.rs) adds V8's used heap and external memory (ArrayBuffers) and
//   stops the worker at the limit. Sampled every 20 ms inside the link process. Target <= 0.5.
// - peak resident memory (VmRSS sampled every 20 ms from /proc): an upper bound that also holds
//   the Deno process itself (runtime, compiled code, allocator slack, ~70 MB idle here), which
//   the platform does not count against the worker.
// Then the worst case with reference images (bench/reference-memory.ts) and the archive route
// with 500 2K images (bench/archive-memory.ts), counted the same way.
// BENCH_MEMORY_ONLY=refs or =archive runs only that part.
// As context, the process-batch edge worker of the local functions host (its own Deno 2.1
// process, as on Supabase) through the real chain.
import { join } from "node:path";
import { readPid } from "../stack/processes.ts";
import { repoRoot, stackPaths } from "../stack/paths.ts";
import { functionsEnv } from "../stack/stack.ts";
import {
  benchMembers,
  delay,
  fakePort,
  pausedChain,
  primeStorage,
  prompts,
  startExecution,
  waitFinished,
  waitReconciled,
} from "./chain-world.ts";
import { archiveMemory } from "./archive-memory.ts";
import { referenceMemory } from "./reference-memory.ts";
import { startLargeImageGemini } from "./large-image-gemini.ts";
import type { BenchContext, Benchmark, BenchResult } from "./types.ts";

const CONCURRENCY = 10;
const PROMPTS = 30;
const L = 300;
const LIMIT_MB = 256;
const SAMPLE_MS = 20;
const MB = 1024 * 1024;
const linkV8Flags = Deno.env.get("BENCH_LINK_V8_FLAGS");

function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = (name: string) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"))?.[1]);
  return { rss: kb("VmRSS") * 1024, hwm: kb("VmHWM") * 1024 };
}

/**
 * The edge worker process running `name` under the functions host (the pid file names the
 * host; its workers are its children, started with the function's import map).
 */
function workerPid(ctx: BenchContext, name: string): number {
  const host = readPid(stackPaths(ctx.state.instance), "functions");
  if (host === null) throw new Error("the bench functions host is not running");
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      if (ppid === host && cmdline.includes(`functions/${name}/deno.json`)) {
        return Number(entry.name);
      }
    } catch {
      // the process has exited
    }
  }
  throw new Error(`no edge worker for ${name} under the functions host (pid ${host})`);
}

class Sampler {
  samples: number[] = [];
  #timer: ReturnType<typeof setInterval>;
  constructor(pid: number) {
    this.#timer = setInterval(() => {
      try {
        const { rss } = memoryOf(pid);
        if (Number.isFinite(rss)) this.samples.push(rss);
      } catch {
        // the process has exited
      }
    }, SAMPLE_MS);
  }
  stop(): number[] {
    clearInterval(this.#timer);
    return this.samples;
  }
}

type Usage = Record<"rss" | "heapTotal" | "heapUsed" | "external" | "counted", number>;
interface LinkReport {
  slots: number;
  idle: Usage;
  peaks: Usage;
  [key: string]: unknown;
}

/** Runs one link for `executionId` in its own process, sampling its RSS. */
async function isolatedLink(ctx: BenchContext, executionId: string) {
  const paths = stackPaths(ctx.state.instance);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      // Diagnostics only: e.g. BENCH_LINK_V8_FLAGS=--max-old-space-size=64 shows how much of
      // the peak is V8 heap (collectable) versus memory outside it.
      ...(linkV8Flags ? [`--v8-flags=${linkV8Flags}`] : []),
      join(repoRoot, "bench", "link-process.ts"),
      executionId,
    ],
    env: functionsEnv(paths, ctx.state),
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("ready\n")) {
    const { value, done } = await lines.read();
    if (done) throw new Error("the link process exited before it was ready");
    out += value;
  }
  const idleSampler = new Sampler(child.pid);
  await delay(500);
  const idle = Math.max(...idleSampler.stop());
  const sampler = new Sampler(child.pid);
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("go\n"));
  await writer.close();
  for (;;) {
    const { value, done } = await lines.read();
    if (done) break;
    out += value;
  }
  const status = await child.status;
  const samples = sampler.stop();
  if (!status.success) throw new Error(`the link process failed (${status.code})`);
  const report = JSON.parse(out.trim().split("\n").at(-1)!) as LinkReport;
  return { idle, peak: Math.max(...samples), samples: samples.length, report };
}

export const memory: Benchmark = {
  name: "memory",
  description: `one process-batch link of a concurrency-${CONCURRENCY} execution of 2K images ` +
    `(~3 MB base64 each): memory as Edge Runtime counts it and RSS, sampled every ` +
    `${SAMPLE_MS} ms, vs the ${LIMIT_MB} MB worker limit`,
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const only = Deno.env.get("BENCH_MEMORY_ONLY");
    if (only === "archive") return await archiveMemory(ctx);
    if (only === "refs") return await referenceMemory(ctx);
    const linkResults = await linkMemory(ctx);
    return [...linkResults, ...await referenceMemory(ctx), ...await archiveMemory(ctx)];
  },
};

async function linkMemory(ctx: BenchContext): Promise<BenchResult[]> {
  {
    const { sql } = ctx;
    const [member] = await benchMembers(ctx, "memory", 1, {
      max_prompts: 100,
      concurrency: CONCURRENCY,
    });
    const gemini = startLargeImageGemini(fakePort(ctx), L);
    try {
      await primeStorage(ctx);

      // 1. The link alone, in its own process; its first kick stays queued, then is dropped.
      const [{ id: lastQueued }] = await sql<{ id: string }[]>`
        select coalesce(max(id), 0)::text as id from net.http_request_queue`;
      const link = await pausedChain(ctx, async () => {
        const started = await startExecution(ctx, member, {
          prompts: prompts(PROMPTS, "memory-link"),
        });
        await sql`delete from net.http_request_queue where id > ${lastQueued}`;
        // The proxy answers 2K-sized images: say so in the execution, as a Pro one with
        // image_size 2K would, so the link sizes its memory budget for what it gets.
        await sql`update public.workflow_executions
          set input_data = input_data || '{"image_size":"2K"}' where id = ${started.id}`;
        const measured = await isolatedLink(ctx, started.id);
        const done = await waitFinished(sql, [started.id], 10_000);
        return { ...measured, output: done.get(started.id)!.output_data };
      });

      // 2. The process-batch edge worker through the real chain (the paused chain restarted the
      // host and so its workers: read the pid now).
      const pid = workerPid(ctx, "process-batch");
      const idleSampler = new Sampler(pid);
      await delay(1000);
      const idle = Math.max(...idleSampler.stop());
      const sampler = new Sampler(pid);
      const started = await startExecution(ctx, member, { prompts: prompts(PROMPTS, "memory") });
      const done = await waitFinished(sql, [started.id], 120_000);
      await waitReconciled(sql, [started.id]);
      await delay(200);
      const samples = sampler.stop();
      const peak = Math.max(...samples);
      const hwm = memoryOf(pid).hwm;
      const output = done.get(started.id)!.output_data;
      const mb = (bytes: number) => Math.round(bytes / MB);
      const counted = link.report.peaks.counted;
      const inFlight = `${link.report.slots} of ${CONCURRENCY} 2K images in flight`;
      const stored = [{
        name: "every image stored",
        pass: link.output.successful === PROMPTS,
        detail: JSON.stringify(link.output),
      }];
      const linkDetails = {
        prompts: PROMPTS,
        concurrency: CONCURRENCY,
        latency_ms: L,
        samples: link.samples,
        sample_ms: SAMPLE_MS,
        image_base64_bytes: gemini.base64Bytes,
        link_report: link.report,
        link_v8_flags: linkV8Flags ?? null,
        note: "bench/link-process.ts: runLink alone in a deno process with the functions' env",
      };
      return [
        {
          benchmark: "memory",
          figure: `link: V8 used heap + external peak / ${LIMIT_MB} MB, as Edge Runtime counts ` +
            `(${inFlight})`,
          ratio: counted / (LIMIT_MB * MB),
          target: { op: "<=", value: 0.5 },
          numbers: {
            counted_peak_mb: mb(counted),
            counted_idle_mb: mb(link.report.idle.counted),
            external_peak_mb: mb(link.report.peaks.external),
            heap_used_peak_mb: mb(link.report.peaks.heapUsed),
            image_base64_mb: Math.round((gemini.base64Bytes / MB) * 10) / 10,
          },
          checks: stored,
          details: linkDetails,
        },
        {
          benchmark: "memory",
          figure: `link process peak RSS / ${LIMIT_MB} MB (same run; includes Deno itself)`,
          ratio: link.peak / (LIMIT_MB * MB),
          target: null,
          numbers: {
            idle_rss_mb: mb(link.idle),
            peak_rss_mb: mb(link.peak),
            peak_above_idle_mb: mb(link.peak - link.idle),
          },
        },
        {
          benchmark: "memory",
          figure: `process-batch edge worker peak RSS above idle / ${LIMIT_MB} MB ` +
            "(same run via the chain; Deno 2.1)",
          ratio: (peak - idle) / (LIMIT_MB * MB),
          target: null,
          numbers: {
            idle_rss_mb: mb(idle),
            peak_rss_mb: mb(peak),
            peak_above_idle_mb: mb(peak - idle),
            vmhwm_mb: mb(hwm),
          },
          checks: [{
            name: "every image stored",
            pass: output.successful === PROMPTS,
            detail: JSON.stringify(output),
          }],
          details: {
            samples: samples.length,
            note: "the worker runs process-batch alone (Storage is served by the gateway); " +
              "vmhwm is the process lifetime high-water mark (includes earlier benchmarks)",
          },
        },
      ];
    } finally {
      await gemini.close();
    }
  }
}
