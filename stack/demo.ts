// The demo `deno task start` runs once the dev stack is up: Acme's collaborator starts an
// execution of 20 prompts through supabase-js functions.invoke, the terminal shows a live
// progress bar drawn from Realtime messages on the private channel execution:<id>
// (stack/demo-progress.ts; polling only if the channel cannot be joined, and said so), then
// where the images are and how to open them. Without a real Gemini key the functions talk to
// the local fake Gemini, which `up` runs as a stack service (announced here as such); with
// GEMINI_API_KEY set (and GOOGLE_GEMINI_BASE_URL unset) they call Google with the same code.
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { join } from "node:path";
import type { Database, Tables } from "../shared/types/database.ts";
import { follow, type Progress } from "./demo-progress.ts";
import { FAKE_SERVICE_LATENCY_MS, geminiFakeInfo, usesGeminiFake } from "./gemini-env.ts";
import { stackPaths } from "./paths.ts";
import { delay, startService, stopService } from "./processes.ts";
import { functionsEnv, type StackState, tokenFor } from "./stack.ts";

const ACME_WORKFLOW = "e0000000-0000-4000-8000-000000000001";
const DEMO_USER = "collaborator@acme.test";

const subjects = [
  "a lighthouse on a cliff at dusk",
  "a red fox in fresh snow",
  "a bowl of ramen, top view",
  "a vintage bicycle against a yellow wall",
  "a hot air balloon over lavender fields",
  "a cozy reading nook with rain outside",
  "a glass terrarium with tiny mushrooms",
  "a robot watering houseplants",
  "a sailboat on a calm turquoise sea",
  "a stack of pancakes with blueberries",
  "a neon-lit street market at night",
  "an owl reading a book by candlelight",
  "a desert canyon under the milky way",
  "a ceramic teapot with cherry blossoms",
  "a paper airplane over a city skyline",
  "a koi pond in autumn",
  "a watercolor map of an imaginary island",
  "a snow globe with a tiny village",
  "a treehouse in a giant redwood",
  "a macro shot of a dewy spider web",
];

// The answer's columns are the tables' own (the generated database types); the rest is what
// start-execution adds.
type View = Pick<Tables<"workflow_executions">, "id" | "status" | "model" | "duration_seconds"> & {
  progress: Progress;
  cost: { cost_so_far: number; revenue_so_far: number };
  results?: (Pick<Tables<"workflow_batch_results">, "batch_index" | "status" | "error_message"> & {
    prompt: string;
    storage_path: string | null;
    signed_url: string | null;
  })[];
};

function bar(p: Progress, width = 30): string {
  const filled = Math.round((p.done / Math.max(p.total, 1)) * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${p.done}/${p.total}` +
    `  ok ${p.completed}  failed ${p.failed}  running ${p.processing}  queued ${p.pending}`;
}

async function waitForHost(apiUrl: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      const res = await fetch(`${apiUrl}/health`);
      await res.body?.cancel();
      if (res.ok) return;
    } catch { /* not up yet */ }
    await delay(100);
  }
  throw new Error("the functions host did not come back");
}

async function view(client: SupabaseClient<Database>, id: string, results: boolean): Promise<View> {
  const { data, error } = await client.functions.invoke(
    `start-execution/${id}${results ? "" : "?results=false"}`,
    { method: "GET" },
  );
  if (error) throw error;
  return (data as { execution: View }).execution;
}

/** Announces which Gemini the demo uses (the stack runs the fake as a service). */
export async function prepareGemini(state: StackState, restartHost: boolean): Promise<void> {
  const paths = stackPaths(state.instance);
  if (usesGeminiFake(paths)) {
    const { url } = geminiFakeInfo(paths);
    console.log(`
  !! FAKE Gemini: no GEMINI_API_KEY is set, so image generation goes to the local fake
  !! Gemini API (tests/fakes/gemini.ts) at ${url}, which answers with synthetic PNGs after
  !! ${FAKE_SERVICE_LATENCY_MS} ms. Same SDK and code path as production. For real images:
  !!   GEMINI_API_KEY=<your key> deno task start`);
  } else {
    console.log("\n  Gemini: using Google's API with GEMINI_API_KEY (real images, real cost).");
  }
  if (restartHost) {
    // It was started earlier, perhaps with another Gemini setting: start it with this one.
    await stopService(paths, "functions");
    await startService(paths, "functions", functionsEnv(paths, state));
    await waitForHost(state.apiUrl);
  }
}

/** Runs the demo execution and prints where its images are. Never throws. */
export async function runDemo(state: StackState): Promise<void> {
  try {
    const token = await tokenFor(state.instance, DEMO_USER);
    // As a signed-in frontend: supabase-js hands the user's token to Functions and Realtime.
    const client = createClient<Database>(state.apiUrl, state.anonKey, {
      accessToken: () => Promise.resolve(token),
    });
    await client.realtime.setAuth();
    console.log(
      `\nDemo: ${DEMO_USER} starts an execution of ${subjects.length} prompts on Acme's workflow`,
    );
    console.log(
      `  supabase.functions.invoke("start-execution", { body: { workflow_id, prompts } })`,
    );
    const { data, error } = await client.functions.invoke("start-execution", {
      body: { workflow_id: ACME_WORKFLOW, prompts: subjects },
      headers: { "Idempotency-Key": `demo-${crypto.randomUUID()}` },
    });
    if (error) {
      const body = await (error.context as Response)?.text?.().catch(() => "");
      throw new Error(`start-execution refused: ${body || error.message}`);
    }
    const started = (data as { execution: View }).execution;
    const id = started.id;
    // The model comes from the workflow config (seed.sql), snapshotted by the start.
    console.log(`  execution ${id} on ${started.model ?? "(no model)"}\n`);

    const tty = Deno.stdout.isTerminal();
    const encoder = new TextEncoder();
    let lastLine = "";
    let lastProgress: Progress | null = null;
    const draw = async (progress: Progress) => {
      lastProgress = progress;
      const line = bar(progress);
      if (tty) await Deno.stdout.write(encoder.encode(`\r  ${line}\x1b[K`));
      else if (line !== lastLine) console.log(`  ${line}`);
      lastLine = line;
    };
    console.log(
      `  following it on the private Realtime channel execution:${id}` +
        ` (supabase.channel(..., { config: { private: true } }))`,
    );
    const followed = await follow(
      client,
      id,
      () => view(client, id, false),
      draw,
      10 * 60_000,
    );
    if (tty) await Deno.stdout.write(encoder.encode("\n"));
    if (followed.via === "realtime") {
      console.log(
        `  progress came from Realtime: ${followed.messages} messages (coalesced, at most 4/s),` +
          ` no polling`,
      );
    } else {
      console.log(
        `  !! Realtime channel refused (${followed.reason}); the bar above came from polling ` +
          `GET /start-execution/${id} (${followed.messages} requests)`,
      );
    }
    if (lastProgress === null) throw new Error("no progress was shown");

    const final = await view(client, id, true);
    const folder = join(stackPaths(state.instance).storage, "workflow-results", id);
    console.log(
      `
  ${final.status}: ${final.progress.completed} images, ${final.progress.failed} failed, ` +
        `${final.duration_seconds ?? 0} s, provider cost $${final.cost.cost_so_far}, ` +
        `billed $${final.cost.revenue_so_far}

  Where the images are
    bucket workflow-results (private), objects ${id}/<index>_<timestamp>.png
    local files: ${folder}
      open one:  xdg-open ${
          join(
            folder,
            final.results?.find((r) => r.storage_path)?.storage_path?.split("/")[1] ?? "",
          )
        }
    signed URLs (valid 1 h and the same on every GET until 15 min remain; made with the
    collaborator's token, Storage RLS decides):`,
    );
    for (const r of (final.results ?? []).slice(0, 3)) {
      console.log(`      #${r.batch_index} ${r.signed_url ?? `(${r.status}: ${r.error_message})`}`);
    }
    console.log(`      … all of them: GET ${state.apiUrl}/functions/v1/start-execution/${id}`);
  } catch (err) {
    console.error(`\nDemo failed: ${(err as Error).message}\n(the stack keeps serving)`);
  }
}
