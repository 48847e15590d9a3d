// What the execution benchmarks share: bench clients with one member each and a workflow
// whose config the chain reads (concurrency, max_prompts), tokens for those members,
// start-execution through the functions host, the fake Gemini on the port the bench stack's
// functions host was told about (stack/gemini-env.ts), batch knobs, and waiting for
// executions to finish. Rows are arranged as postgres, like an admin would.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@supabase/supabase-js";
import type postgres from "postgres";
import { loadOrCreateKeys, mintAccessToken } from "../stack/keys.ts";
import { stackPaths } from "../stack/paths.ts";
import { startService, stopService } from "../stack/processes.ts";
import { functionsEnv } from "../stack/stack.ts";
import { type GeminiFake, startGeminiFake } from "../tests/fakes/gemini.ts";
import type { BenchContext } from "./types.ts";

const FLASH_TEMPLATE = "d0000000-0000-4000-8000-000000000001";

export interface Member {
  clientId: string;
  userId: string;
  email: string;
  token: string;
  workflowId: string;
}

export function benchDir(ctx: BenchContext): string {
  return stackPaths(ctx.state.instance).dir;
}

/** The fake's port, chosen when the stack was built (gemini-fake.json). */
export function fakePort(ctx: BenchContext): number {
  const file = join(benchDir(ctx), "gemini-fake.json");
  if (!existsSync(file)) throw new Error(`${file} is missing: the bench stack has no fake port`);
  return (JSON.parse(Deno.readTextFileSync(file)) as { port: number }).port;
}

/** Starts the fake Gemini where the bench stack's functions host sends its calls. */
export function startBenchGemini(ctx: BenchContext, latencyMs: number): GeminiFake {
  return startGeminiFake({ port: fakePort(ctx), latencyMs, retryDelay: "0.2s" });
}

/**
 * `count` bench clients (created once, reused), each with one owner and one active
 * workflow on the Flash template with this config patch (max_prompts, concurrency, ...).
 */
export async function benchMembers(
  ctx: BenchContext,
  tag: string,
  count: number,
  config: Record<string, unknown>,
): Promise<Member[]> {
  const { sql, state } = ctx;
  const keys = await loadOrCreateKeys(benchDir(ctx));
  const members: Member[] = [];
  for (let i = 1; i <= count; i++) {
    const email = `bench-${tag}-${i}@chain-bench.test`;
    const [user] = await sql<{ id: string }[]>`select id from auth.users where email = ${email}`;
    const userId = user?.id ??
      (await sql<{ id: string }[]>`
        insert into auth.users (instance_id, id, aud, role, email, raw_app_meta_data,
          raw_user_meta_data, created_at, updated_at, is_anonymous)
        values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated',
          'authenticated', ${email}, '{"provider":"email","providers":["email"]}', '{}',
          now(), now(), false)
        returning id`)[0].id;
    const name = `Bench ${tag} ${i}`;
    const [client] = await sql<{ id: string }[]>`
      select id from public.clients where name = ${name}`;
    const clientId = client?.id ??
      (await sql<{ id: string }[]>`
        insert into public.clients (name, company_name, email)
        values (${name}, ${name}, ${`contact-${tag}-${i}@chain-bench.test`}) returning id`)[0].id;
    await sql`
      insert into public.client_members (client_id, user_id, role)
      values (${clientId}, ${userId}, 'owner') on conflict do nothing`;
    // A benchmark starts hundreds of runs a minute for one tenant, far past the platform's
    // default quotas (which stay in force: their check runs on every start measured here).
    await sql`
      insert into private.client_quotas
        (client_id, executions_per_minute, max_concurrent_executions, max_queued_items)
      values (${clientId}, 100000, 100000, 10000000)
      on conflict (client_id) do nothing`;
    const [template] = await sql<{ config: Record<string, unknown> }[]>`
      select config from public.workflow_templates where id = ${FLASH_TEMPLATE}`;
    const workflowConfig = { ...template.config, ...config };
    const [existing] = await sql<{ id: string }[]>`
      select id from public.workflows where client_id = ${clientId} and name = ${name}`;
    const workflowId = existing
      ? (await sql<{ id: string }[]>`
          update public.workflows set config = ${sql.json(workflowConfig as postgres.JSONValue)},
            status = 'active'
          where id = ${existing.id} returning id`)[0].id
      : (await sql<{ id: string }[]>`
          insert into public.workflows (name, status, config, client_id, template_id)
          values (${name}, 'active', ${sql.json(workflowConfig as postgres.JSONValue)},
            ${clientId}, ${FLASH_TEMPLATE})
          returning id`)[0].id;
    const token = await mintAccessToken(keys, {
      sub: userId,
      email,
      extraClaims: { iss: `${state.apiUrl}/auth/v1` },
    });
    members.push({ clientId, userId, email, token, workflowId });
  }
  return members;
}

export function prompts(n: number, label: string): string[] {
  return Array.from({ length: n }, (_, i) => `bench ${label} prompt ${i + 1}`);
}

export interface Started {
  id: string;
  status: number;
  /** Date.now() when the answer arrived (same clock as Postgres now() on this machine). */
  answeredAt: number;
  /** Round trip of the call, in ms (performance.now()). */
  ms: number;
}

/** POST start-execution as the member, through the functions host (JWT checked there). */
export async function startExecution(
  ctx: BenchContext,
  member: Member,
  body: Record<string, unknown>,
): Promise<Started> {
  const t0 = performance.now();
  const res = await fetch(`${ctx.state.apiUrl}/functions/v1/start-execution`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${member.token}`,
      apikey: ctx.state.publishableKey,
      "content-type": "application/json",
    },
    body: JSON.stringify({ workflow_id: member.workflowId, ...body }),
  });
  const json = await res.json() as { execution?: { id?: string } };
  const ms = performance.now() - t0;
  const answeredAt = Date.now();
  const id = json.execution?.id;
  if (res.status !== 202 || !id) {
    throw new Error(`start-execution answered ${res.status}: ${JSON.stringify(json)}`);
  }
  return { id, status: res.status, answeredAt, ms };
}

export interface Finished {
  id: string;
  status: string;
  started_at: Date | null;
  completed_at: Date;
  output_data: Record<string, number>;
}

/** Polls the execution rows every `intervalMs` until all are finalised (completed_at set). */
export async function waitFinished(
  sql: postgres.Sql,
  ids: string[],
  timeoutMs: number,
  intervalMs = 20,
): Promise<Map<string, Finished>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await sql<Finished[]>`
      select id, status, started_at, completed_at, output_data
      from public.workflow_executions where id = any(${ids}::uuid[]) and completed_at is not null`;
    if (rows.length === ids.length) return new Map(rows.map((r) => [r.id, r]));
    if (Date.now() > deadline) {
      throw new Error(
        `${ids.length - rows.length} of ${ids.length} executions unfinished ` +
          `after ${timeoutMs} ms`,
      );
    }
    await delay(intervalMs);
  }
}

/** Waits until links have released the finished executions (storage reconciled). */
export async function waitReconciled(sql: postgres.Sql, ids: string[], timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [{ n }] = await sql<{ n: number }[]>`
      select count(*)::int as n from public.workflow_executions
      where id = any(${ids}::uuid[]) and storage_reconciled_at is null`;
    if (n === 0) return;
    await delay(100);
  }
}

/** Sets private.batch_settings columns; returns the previous values to restore them. */
export async function setBatchSettings(
  sql: postgres.Sql,
  patch: Record<string, number>,
): Promise<Record<string, number>> {
  if (Object.keys(patch).length === 0) return {};
  const [before] = await sql<Record<string, number>[]>`
    select ${sql(Object.keys(patch))} from private.batch_settings`;
  await sql`update private.batch_settings set ${sql(patch)}`;
  return before;
}

/**
 * Runs `fn` with the chain paused: the bench stack's pg_net worker is stopped (kicks stay
 * queued in net.http_request_queue), the functions host restarted without its direct first
 * kick (BATCH_DIRECT_KICK=off) and the sweep's re-kick grace raised; all are restored
 * afterwards. The caller deletes whatever it queued that must not run.
 */
export async function pausedChain<T>(ctx: BenchContext, fn: () => Promise<T>): Promise<T> {
  const paths = stackPaths(ctx.state.instance);
  const env = functionsEnv(paths, ctx.state);
  const before = await setBatchSettings(ctx.sql, { kick_grace_seconds: 3600 });
  await stopService(paths, "pgnet");
  await restartHost(ctx, { ...env, BATCH_DIRECT_KICK: "off" });
  try {
    return await fn();
  } finally {
    await setBatchSettings(ctx.sql, before);
    await restartHost(ctx, env);
    await startService(paths, "pgnet", { ...env, DATABASE_URL: ctx.state.adminDbUrl });
  }
}

/** Restarts the bench stack's functions host with `env` and waits until it answers. */
export async function restartHost(ctx: BenchContext, env: Record<string, string>) {
  const paths = stackPaths(ctx.state.instance);
  await stopService(paths, "functions");
  await startService(paths, "functions", env);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${ctx.state.apiUrl}/health`);
      await res.body?.cancel();
      if (res.ok) return;
    } catch { /* starting */ }
    await delay(100);
  }
  throw new Error("the bench functions host did not come back");
}

/**
 * One upload right after boot: the Storage stand-in resolves its table layout lazily, and
 * concurrent first uploads can exhaust its small pool (see tests/helpers/executions.ts).
 */
export async function primeStorage(ctx: BenchContext): Promise<void> {
  const client = createClient(ctx.state.apiUrl, ctx.state.secretKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
  const bucket = client.storage.from("workflow-results");
  const name = `00000000-0000-4000-8000-000000000000/prime_${crypto.randomUUID()}.png`;
  const { error } = await bucket.upload(name, new Uint8Array([137, 80, 78, 71]), {
    contentType: "image/png",
  });
  if (error) throw new Error(`priming storage failed: ${error.message}`);
  await bucket.remove([name]);
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
