// Memory, worst case the limits allow (issue 18 item 6, issue 14 item 3): one process-batch
// link of a concurrency-10 execution of 2K images carrying the most reference images a
// workflow allows by bytes (3 × 4 MiB = 12 MiB, the catalogue's max_reference_total_bytes;
// more images cannot bring more bytes), stored in Storage through the real upload route. Run
// alone in its own process (bench/link-process.ts), counted as Supabase's Edge Runtime counts
// (V8 used heap + external), ÷ 256 MB, target ≤ 0.5. Side by side in one run:
//   1. the link as configured (BATCH_LINK_MAX_IN_FLIGHT_MB default): the slots linkSlots gives
//      it with the references counted, the rest going to helper links in other workers;
//   2. the same execution forced to keep all 10 images in flight (budget raised), with the
//      references: the figure the issue asks for;
//   3. 10 in flight without references: the same link's cost without them (2 − 3 is what the
//      references cost a link that holds them once and streams them into each request).
// The proxy checks that every Gemini request carried all three images in full.
import { join } from "node:path";
import { repoRoot, stackPaths } from "../stack/paths.ts";
import { functionsEnv } from "../stack/stack.ts";
import {
  benchMembers,
  fakePort,
  type Member,
  pausedChain,
  primeStorage,
  prompts,
  startExecution,
  waitFinished,
} from "./chain-world.ts";
import { startLargeImageGemini } from "./large-image-gemini.ts";
import type { BenchContext, BenchResult } from "./types.ts";

const CONCURRENCY = 10;
const PROMPTS = 30;
const L = 300;
const LIMIT_MB = 256;
const MB = 1024 * 1024;
const REF_BYTES = 4 * MB;
const REF_COUNT = 3;

type Usage = Record<"rss" | "heapTotal" | "heapUsed" | "external" | "counted", number>;
interface LinkOut {
  slots: number;
  claimed: number;
  referenceBytes?: number;
  referenceDownloads?: number;
  idle: Usage;
  peaks: Usage;
}

async function linkAlone(ctx: BenchContext, executionId: string, env: Record<string, string>) {
  const paths = stackPaths(ctx.state.instance);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", join(repoRoot, "bench", "link-process.ts"), executionId],
    env: { ...functionsEnv(paths, ctx.state), ...env },
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
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("go\n"));
  await writer.close();
  for (;;) {
    const { value, done } = await lines.read();
    if (done) break;
    out += value;
  }
  if (!(await child.status).success) throw new Error("the link process failed");
  return JSON.parse(out.trim().split("\n").at(-1)!) as LinkOut;
}

/** Uploads `count` incompressible images of `bytes` each through the real route. */
async function uploadReferences(ctx: BenchContext, member: Member, count: number, bytes: number) {
  const res = await fetch(`${ctx.state.apiUrl}/functions/v1/start-execution/reference-uploads`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${member.token}`,
      apikey: ctx.state.publishableKey,
      "content-type": "application/json",
    },
    body: JSON.stringify({
      workflow_id: member.workflowId,
      images: Array.from({ length: count }, () => ({ mime_type: "image/png", size_bytes: bytes })),
    }),
  });
  const plan = await res.json() as { uploads?: { signed_url: string; path: string }[] };
  if (res.status !== 201 || !plan.uploads) {
    throw new Error(`reference-uploads answered ${res.status}: ${JSON.stringify(plan)}`);
  }
  for (const u of plan.uploads) {
    const body = new Uint8Array(bytes);
    for (let i = 0; i < bytes; i += 65536) crypto.getRandomValues(body.subarray(i, i + 65536));
    const put = await fetch(u.signed_url, {
      method: "PUT",
      headers: { "content-type": "image/png" },
      body,
    });
    await put.body?.cancel();
    if (!put.ok) throw new Error(`upload to ${u.path} failed: ${put.status}`);
  }
  return plan.uploads.map((u) => ({ path: u.path, mime_type: "image/png" }));
}

export async function referenceMemory(ctx: BenchContext): Promise<BenchResult[]> {
  const { sql } = ctx;
  const [member] = await benchMembers(ctx, "memory-refs", 1, {
    max_prompts: 100,
    concurrency: CONCURRENCY,
    supports_reference_images: true,
    max_reference_images: REF_COUNT,
  });
  const gemini = startLargeImageGemini(fakePort(ctx), L);
  try {
    await primeStorage(ctx);
    const refs = await uploadReferences(ctx, member, REF_COUNT, REF_BYTES);
    const cases: { name: string; env: Record<string, string>; refs: boolean }[] = [
      { name: "configured", env: {}, refs: true },
      { name: "10 in flight", env: { BATCH_LINK_MAX_IN_FLIGHT_MB: "100000" }, refs: true },
      {
        name: "10 in flight, no references",
        env: { BATCH_LINK_MAX_IN_FLIGHT_MB: "100000" },
        refs: false,
      },
    ];
    const measured: {
      name: string;
      link: LinkOut;
      output: Record<string, number>;
      calls: number;
      complete: boolean;
    }[] = [];
    await pausedChain(ctx, async () => {
      for (const c of cases) {
        const [{ id: lastQueued }] = await sql<{ id: string }[]>`
          select coalesce(max(id), 0)::text as id from net.http_request_queue`;
        const seenBefore = gemini.received.length;
        const started = await startExecution(ctx, member, {
          prompts: prompts(PROMPTS, `memory-refs ${c.name}`),
          image_size: "2K",
          ...(c.refs ? { reference_images: refs } : {}),
        });
        await sql`delete from net.http_request_queue where id > ${lastQueued}`;
        const link = await linkAlone(ctx, started.id, c.env);
        // A link at fewer slots than the concurrency leaves the rest to helpers (not running
        // here: the chain is paused); finish the execution with more links in this process.
        let guard = 0;
        while (guard++ < 20) {
          const [{ pending }] = await sql<{ pending: number }[]>`
            select count(*)::int as pending from public.workflow_batch_results
            where execution_id = ${started.id} and status in ('pending', 'processing')`;
          if (pending === 0) break;
          await sql`delete from net.http_request_queue where id > ${lastQueued}`;
          await linkAlone(ctx, started.id, { BATCH_LINK_MAX_IN_FLIGHT_MB: "100000" });
        }
        await sql`delete from net.http_request_queue where id > ${lastQueued}`;
        const done = await waitFinished(sql, [started.id], 60_000);
        const got = gemini.received.slice(seenBefore);
        const expectedLength = Math.ceil(REF_BYTES / 3) * 4;
        const complete = c.refs
          ? got.length === PROMPTS * REF_COUNT &&
            got.every((r) => r.base64Length === expectedLength)
          : got.length === 0;
        measured.push({
          name: c.name,
          link,
          output: done.get(started.id)!.output_data,
          calls: got.length,
          complete,
        });
        ctx.log(
          `memory-refs ${c.name}: slots ${link.slots}, counted peak ${
            Math.round(link.peaks.counted / MB)
          } MB`,
        );
      }
    });
    const mb = (b: number) => Math.round(b / MB);
    const loadavg = Deno.readTextFileSync("/proc/loadavg").trim();
    const [configured, forced, bare] = measured;
    const row = (m: typeof measured[number], figure: string, target: boolean): BenchResult => ({
      benchmark: "memory",
      figure,
      ratio: m.link.peaks.counted / (LIMIT_MB * MB),
      target: target ? { op: "<=", value: 0.5 } : null,
      numbers: {
        slots: m.link.slots,
        counted_peak_mb: mb(m.link.peaks.counted),
        counted_idle_mb: mb(m.link.idle.counted),
        external_peak_mb: mb(m.link.peaks.external),
        heap_used_peak_mb: mb(m.link.peaks.heapUsed),
        rss_peak_mb: mb(m.link.peaks.rss),
        reference_mb: mb(m.link.referenceBytes ?? 0),
        reference_downloads: m.link.referenceDownloads ?? 0,
      },
      checks: [
        {
          name: "every image stored",
          pass: m.output.successful === PROMPTS,
          detail: JSON.stringify(m.output),
        },
        {
          name: m.name.includes("no references")
            ? "no reference image sent"
            : `every request carried all ${REF_COUNT} reference images in full`,
          pass: m.complete,
          detail: `${m.calls} inline images received`,
        },
        ...(m.name.includes("no references") ? [] : [{
          name: "each reference fetched once by the link",
          pass: m.link.referenceDownloads === REF_COUNT,
          detail: `${m.link.referenceDownloads} downloads`,
        }]),
      ],
      details: {
        prompts: PROMPTS,
        concurrency: CONCURRENCY,
        latency_ms: L,
        references: `${REF_COUNT} × ${REF_BYTES} bytes (the most any model allows in all)`,
        image_base64_bytes: gemini.base64Bytes,
        loadavg,
        link_report: m.link,
      },
    });
    return [
      row(
        configured,
        `link with max reference images (${REF_COUNT} × 4 MiB), default budget: ` +
          `V8 used heap + external peak / ${LIMIT_MB} MB (${configured.link.slots} of ${CONCURRENCY} 2K in flight)`,
        true,
      ),
      row(
        forced,
        `link with max reference images, all ${CONCURRENCY} 2K in flight (budget raised): ` +
          `V8 used heap + external peak / ${LIMIT_MB} MB`,
        true,
      ),
      row(bare, `same, ${CONCURRENCY} 2K in flight without reference images (A/B baseline)`, false),
    ];
  } finally {
    await gemini.close();
  }
}
