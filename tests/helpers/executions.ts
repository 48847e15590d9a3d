// What execution tests need beyond tests/helpers/stack.ts: the fake Gemini on the port the
// stack's functions host was told about (<stack>/gemini-fake.json, see stack/gemini-env.ts),
// functions.invoke with the HTTP status, control of the functions host (kill / restart for
// crash tests), batch knobs, and looks at the ledger and at stored objects.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { SupabaseClient } from "@supabase/supabase-js";
import { type GeminiFake, startGeminiFake } from "../fakes/gemini.ts";
import { stackPaths } from "../../stack/paths.ts";
import type { Instance } from "../../stack/paths.ts";
import { alive, readPid, signalGroup, startService, stopService } from "../../stack/processes.ts";
import { functionsEnv, type StackState } from "../../stack/stack.ts";
import { db, stack } from "./stack.ts";

export const ACME_CLIENT = "c0000000-0000-4000-8000-000000000001";
export const GLOBEX_CLIENT = "c0000000-0000-4000-8000-000000000002";
/** Acme's seeded workflow (Flash Image Gen: platform key, max 100 prompts). */
export const ACME_WORKFLOW = "e0000000-0000-4000-8000-000000000001";
export const FLASH_TEMPLATE = "d0000000-0000-4000-8000-000000000001";
export const PRO_TEMPLATE = "d0000000-0000-4000-8000-000000000002";

function stackDir(): string {
  const dir = Deno.env.get("STACK_DIR");
  if (!dir) throw new Error("STACK_DIR is not set");
  return dir;
}

/** Starts the fake Gemini where this stack's functions host expects it. */
export function startStackGeminiFake(latencyMs = 0): GeminiFake {
  const file = join(stackDir(), "gemini-fake.json");
  if (!existsSync(file)) throw new Error(`${file} is missing: was the stack started by stack.ts?`);
  const { port } = JSON.parse(Deno.readTextFileSync(file)) as { port: number };
  return startGeminiFake({ port, latencyMs, retryDelay: "0.2s" });
}

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

/** functions.invoke that also reports the status (202 vs 200) and reads error bodies. */
export async function invoke<T = Record<string, unknown>>(
  client: SupabaseClient,
  name: string,
  options: {
    method?: "GET" | "POST";
    body?: unknown;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer<T>> {
  const { data, error, response } = await client.functions.invoke(name, {
    method: options.method ?? (options.body === undefined ? "GET" : "POST"),
    ...(options.body === undefined ? {} : { body: options.body as Record<string, unknown> }),
    headers: options.headers,
  });
  if (error) {
    const res = (error as { context?: unknown }).context;
    if (!(res instanceof Response)) throw error;
    return { status: res.status, body: await res.json().catch(() => null) as T };
  }
  return { status: response?.status ?? 200, body: data as T };
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a truthy value; fails with `what` after timeoutMs. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | null | undefined | false>,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await delay(intervalMs);
  }
}

/**
 * Waits until an execution is mid-batch: at least `minDone` items completed and some still
 * processing, the moment a crash test kills the functions host.
 */
export function waitForMidBatch(executionId: string, minDone: number): Promise<unknown> {
  return waitFor(
    `at least ${minDone} items done and items in flight`,
    async () => {
      const [row] = await db()<{ done: number; busy: number }[]>`
        select count(*) filter (where status = 'completed')::int as done,
               count(*) filter (where status = 'processing')::int as busy
        from workflow_batch_results where execution_id = ${executionId}`;
      return row.done >= minDone && row.busy > 0;
    },
    30_000,
    20,
  );
}

export interface ExecutionState {
  status: string;
  completed_at: Date | null;
  storage_reconciled_at: Date | null;
  output_data: Record<string, number> | null;
  error_message: string | null;
}

export async function executionState(id: string): Promise<ExecutionState> {
  const [row] = await db()<ExecutionState[]>`
    select status, completed_at, storage_reconciled_at, output_data, error_message
    from public.workflow_executions where id = ${id}`;
  return row;
}

/** Waits until the execution is finalised and its storage folder was checked for orphans. */
export function waitForFinished(id: string, timeoutMs = 60_000): Promise<ExecutionState> {
  return waitFor(`execution ${id} to finish`, async () => {
    const state = await executionState(id);
    return state?.completed_at && state.storage_reconciled_at ? state : null;
  }, timeoutMs);
}

export interface ItemRow {
  batch_index: number;
  prompt_text: string;
  status: string;
  attempts: number;
  error_message: string | null;
  result_storage_path: string | null;
}

export function items(executionId: string): Promise<ItemRow[]> {
  return db()<ItemRow[]>`
    select batch_index, prompt_text, status, attempts, error_message, result_storage_path
    from public.workflow_batch_results where execution_id = ${executionId}
    order by batch_index`;
}

/** Object names in the bucket for an execution: storage.objects rows and files on disk. */
export async function storedObjects(
  executionId: string,
): Promise<{ rows: string[]; files: string[] }> {
  const rows = (await db()<{ name: string }[]>`
    select name from storage.objects
    where bucket_id = 'workflow-results' and name like ${executionId + "/%"}
    order by name`).map((r) => r.name);
  const dir = join(stackDir(), "storage", "workflow-results", executionId);
  const files = existsSync(dir)
    ? [...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) => `${executionId}/${e.name}`)
      .sort()
    : [];
  return { rows, files };
}

/** Reads and index scans of the items table so far (what every claim does several of). */
export async function itemScans(): Promise<number> {
  const [row] = await db()<{ n: number }[]>`
    select (coalesce(seq_scan, 0) + coalesce(idx_scan, 0))::int as n
    from pg_stat_user_tables where relid = 'public.workflow_batch_results'::regclass`;
  return row.n;
}

/** Quotas a client cannot reach in a test (undo with `delete from private.client_quotas`). */
export async function liftClientQuotas(clientId: string): Promise<void> {
  await db()`
    insert into private.client_quotas
      (client_id, executions_per_minute, max_concurrent_executions, max_queued_items)
    values (${clientId}, 1000, 1000, 100000)
    on conflict (client_id) do update set executions_per_minute = 1000,
      max_concurrent_executions = 1000, max_queued_items = 100000`;
}

/** Runs `fn` with some private.batch_settings changed, restoring them afterwards. */
export async function withBatchSettings<T>(
  patch: Record<string, number>,
  fn: () => Promise<T>,
): Promise<T> {
  const [before] = await db()<Record<string, unknown>[]>`select * from private.batch_settings`;
  await db()`update private.batch_settings set ${db()(patch)}`;
  try {
    return await fn();
  } finally {
    const restore = Object.fromEntries(Object.keys(patch).map((k) => [k, before[k]]));
    await db()`update private.batch_settings set ${db()(restore as Record<string, number>)}`;
  }
}

/** A workflow for `clientId` with this config (admin-side arrangement, as postgres). */
export async function createWorkflow(
  config: Record<string, unknown>,
  options: { clientId?: string; status?: string; templateId?: string | null; name?: string } = {},
): Promise<string> {
  const [row] = await db()<{ id: string }[]>`
    insert into public.workflows (name, status, config, client_id, template_id)
    values (${options.name ?? "test workflow"}, ${options.status ?? "active"},
            ${db().json(config as Record<string, string>)}, ${options.clientId ?? ACME_CLIENT},
            ${options.templateId === undefined ? FLASH_TEMPLATE : options.templateId})
    returning id`;
  return row.id;
}

/** Counts of rows an execution start writes, to assert that a refused start wrote nothing. */
export async function writeCounts(): Promise<
  { executions: number; items: number; queued: number }
> {
  const [row] = await db()<{ executions: number; items: number; queued: number }[]>`
    select (select count(*)::int from public.workflow_executions) as executions,
           (select count(*)::int from public.workflow_batch_results) as items,
           (select coalesce(max(id), 0)::int from net.http_request_queue) +
           (select coalesce(max(id), 0)::int from net._http_response) as queued`;
  return row;
}

function paths() {
  return stackPaths(stack().instance as Instance);
}

/** Kills the functions host outright (SIGKILL, no graceful drain): links in flight die. */
export async function killFunctions(): Promise<void> {
  const pid = readPid(paths(), "functions");
  if (pid !== null) signalGroup(pid, "SIGKILL");
  await waitFor("the functions host to die", () => Promise.resolve(!alive(pid)), 10_000, 20);
  await stopService(paths(), "functions");
}

export function functionsRunning(): boolean {
  return alive(readPid(paths(), "functions"));
}

/** Starts the functions host again with the stack's env (plus `extra`), waits until it answers. */
export async function startFunctions(extra: Record<string, string> = {}): Promise<void> {
  const state = stack() as unknown as StackState;
  await startService(paths(), "functions", { ...functionsEnv(paths(), state), ...extra });
  await waitFor("the functions host", async () => {
    try {
      const res = await fetch(`${state.apiUrl}/health`);
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  }, 30_000);
}

/** Runs the pg_cron sweep now (what the cron job calls). */
export async function sweep(): Promise<Record<string, number>> {
  const [row] = await db()<{ r: Record<string, number> }[]>`select private.sweep_batches() as r`;
  return row.r;
}
