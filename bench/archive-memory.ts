// Part of benchmark 6 (memory): the archive of an execution of 500 completed 2K images
// (~2.2 MB PNG each, ~1.1 GB of ZIP) downloaded through GET start-execution/:id/archive in its
// own process (bench/archive-process.ts), memory counted as Edge Runtime counts it (V8 used
// heap + external) ÷ the 256 MB worker limit, and the time it took ÷ the 150 s wall clock of a
// free-plan Edge Function (400 s paid). The rows are arranged directly (a completed execution
// and its results) and the objects uploaded through the Storage API, as the chain would leave them.
import { createClient } from "@supabase/supabase-js";
import { join } from "node:path";
import { repoRoot, stackPaths } from "../stack/paths.ts";
import { functionsEnv } from "../stack/stack.ts";
import { benchMembers } from "./chain-world.ts";
import type { BenchContext, BenchResult } from "./types.ts";

const IMAGES = Number(Deno.env.get("BENCH_ARCHIVE_IMAGES") ?? 500);
const IMAGE_BYTES = 2_200_000;
const LIMIT_MB = 256;
const WALL_CLOCK_S = 150;
const MB = 1024 * 1024;

function imageBytes(seed: number): Uint8Array {
  const bytes = new Uint8Array(IMAGE_BYTES);
  for (let at = 0; at < bytes.length; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(at + 65536, bytes.length)));
  }
  bytes.set([137, 80, 78, 71, 13, 10, 26, 10]);
  new DataView(bytes.buffer).setUint32(8, seed);
  return bytes;
}

async function arrange(ctx: BenchContext): Promise<{ id: string; token: string }> {
  const [member] = await benchMembers(ctx, "archive", 1, { max_prompts: IMAGES });
  const { sql } = ctx;
  const [{ id }] = await sql<{ id: string }[]>`
    insert into public.workflow_executions
      (workflow_id, client_id, triggered_by_user_id, status, input_data, output_data,
       started_at, completed_at)
    values (${member.workflowId}, ${member.clientId}, ${member.userId}, 'completed',
            ${sql.json({ prompts: Array.from({ length: IMAGES }, (_, i) => `archive ${i}`) })},
            ${sql.json({ successful: IMAGES, failed: 0, total: IMAGES })}, now(), now())
    returning id`;
  const storage = createClient(ctx.state.apiUrl, ctx.state.secretKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  }).storage.from("workflow-results");
  const base = imageBytes(0);
  let next = 0;
  await Promise.all(Array.from({ length: 6 }, async () => {
    while (next < IMAGES) {
      const i = next++;
      new DataView(base.buffer).setUint32(8, i); // distinct bytes per object
      const { error } = await storage.upload(`${id}/${i}_1.png`, base.slice(), {
        contentType: "image/png",
      });
      if (error) throw new Error(`upload ${i}: ${error.message}`);
    }
  }));
  await sql`
    insert into public.workflow_batch_results
      (execution_id, client_id, batch_index, prompt_text, status, result_storage_path,
       attempts, completed_at)
    select ${id}, ${member.clientId}, g, 'archive ' || g, 'completed', ${id} || '/' || g || '_1.png',
           1, now()
    from generate_series(0, ${IMAGES - 1}) g`;
  return { id, token: member.token };
}

interface ArchiveReport {
  status: number;
  bytes: number;
  members: number;
  ms: number;
  idle: Record<string, number>;
  peaks: Record<string, number>;
}

async function isolatedArchive(ctx: BenchContext, id: string, token: string) {
  const paths = stackPaths(ctx.state.instance);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      join(repoRoot, "bench", "archive-process.ts"),
      id,
      token,
      ctx.state.anonKey,
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
    if (done) throw new Error("the archive process exited before it was ready");
    out += value;
  }
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("go\n"));
  await writer.close();
  for (;;) {
    const { value, done } = await lines.read();
    if (done) break;
    out += value;
  }
  const status = await child.status;
  if (!status.success) throw new Error(`the archive process failed (${status.code})`);
  return JSON.parse(out.trim().split("\n").at(-1)!) as ArchiveReport;
}

export async function archiveMemory(ctx: BenchContext): Promise<BenchResult[]> {
  ctx.log(`archive: uploading ${IMAGES} objects of ${IMAGE_BYTES} bytes`);
  const { id, token } = await arrange(ctx);
  ctx.log("archive: downloading");
  const report = await isolatedArchive(ctx, id, token);
  const mb = (bytes: number) => Math.round(bytes / MB);
  const checks = [
    {
      name: "200 and every image plus the manifest in the ZIP",
      pass: report.status === 200 &&
        report.members === IMAGES + 1,
      detail: `status ${report.status}, ${report.members} members`,
    },
    {
      name: "all image bytes streamed",
      pass: report.bytes > IMAGES * IMAGE_BYTES,
      detail: `${report.bytes} bytes`,
    },
  ];
  return [
    {
      benchmark: "memory",
      figure: `archive of ${IMAGES} 2K images: V8 used heap + external peak / ${LIMIT_MB} MB, ` +
        "as Edge Runtime counts",
      ratio: report.peaks.counted / (LIMIT_MB * MB),
      target: { op: "<=", value: 0.5 },
      numbers: {
        counted_peak_mb: mb(report.peaks.counted),
        counted_idle_mb: mb(report.idle.counted),
        external_peak_mb: mb(report.peaks.external),
        heap_used_peak_mb: mb(report.peaks.heapUsed),
        rss_peak_mb: mb(report.peaks.rss),
        archive_mb: mb(report.bytes),
      },
      checks,
      details: { images: IMAGES, image_bytes: IMAGE_BYTES, sample_ms: 20 },
    },
    {
      benchmark: "memory",
      figure: `archive of ${IMAGES} 2K images: download time / ${WALL_CLOCK_S} s Edge wall clock ` +
        "(free plan; local Storage, no network)",
      ratio: report.ms / 1000 / WALL_CLOCK_S,
      target: null,
      numbers: {
        seconds: Math.round(report.ms / 100) / 10,
        mb_per_s: Math.round(report.bytes / MB / (report.ms / 1000)),
      },
    },
  ];
}
