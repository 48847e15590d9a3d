// The first link of a new execution, started at once. The start transaction already queued a
// pg_net kick (sent only if it committed: the guarantee), but pg_net delays a request
// committed while its worker is busy by up to its 1 s pause, and with several executions
// starting together that idled their share of the slots (measured: 2 of 4 simultaneous
// starts waited ~1 s, 3-5 % of a 15 s run). So, after the commit, the function also calls
// process-batch itself, in the background: whichever kick arrives second finds the slots
// taken or nothing left to claim, as any duplicate does.
import { log } from "../core/log.ts";

declare const EdgeRuntime: { waitUntil(promise: Promise<unknown>): void } | undefined;

const KICK_TIMEOUT_MS = 3000;

function secretKey(): string | undefined {
  try {
    return (JSON.parse(Deno.env.get("SUPABASE_SECRET_KEYS") ?? "{}") as Record<string, string>)
      .default;
  } catch {
    return undefined;
  }
}

/** Fire-and-forget POST {execution_id} to process-batch; the pg_net kick stays the fallback. */
export function kickFirstLink(executionId: string): void {
  const base = Deno.env.get("SUPABASE_URL");
  const key = secretKey();
  if (!base || !key || typeof EdgeRuntime === "undefined") return;
  // Benchmarks that pause the chain (pg_net stopped) switch it off.
  if (Deno.env.get("BATCH_DIRECT_KICK") === "off") return;
  const sent = fetch(`${base.replace(/\/+$/, "")}/functions/v1/process-batch`, {
    method: "POST",
    headers: { "content-type": "application/json", apikey: key },
    body: JSON.stringify({ execution_id: executionId }),
    signal: AbortSignal.timeout(KICK_TIMEOUT_MS),
  }).then(
    (res) => res.body?.cancel(),
    (err) => log("warn", "direct kick failed; the pg_net kick follows", { error: String(err) }),
  );
  EdgeRuntime.waitUntil(sent);
}
