// Exact accounting of a finished execution, the check every soak scenario ends with: the
// execution is final, every item terminal, output counts equal the ledger, and Storage holds
// exactly one object (row and file) per completed item and nothing else for it.
import { items, storedObjects } from "../tests/helpers/executions.ts";
import { db } from "../tests/helpers/stack.ts";

export interface Accounting {
  status: string;
  total: number;
  successful: number;
  failed: number;
  problems: string[];
}

const terminal = new Set(["completed", "failed", "cancelled"]);

export async function account(executionId: string, prompts: number): Promise<Accounting> {
  const [execution] = await db()<
    { status: string; output_data: Record<string, number> | null; completed_at: Date | null }[]
  >`select status, output_data, completed_at from public.workflow_executions
    where id = ${executionId}`;
  const rows = await items(executionId);
  const stored = await storedObjects(executionId);
  const problems: string[] = [];
  const out = execution.output_data ?? {};
  const completed = rows.filter((r) => r.status === "completed");
  const failed = rows.filter((r) => r.status === "failed");
  if (!["completed", "failed"].includes(execution.status) || !execution.completed_at) {
    problems.push(`execution not final: ${execution.status}`);
  }
  if (rows.length !== prompts) problems.push(`${rows.length} ledger rows for ${prompts} prompts`);
  const indexes = new Set(rows.map((r) => r.batch_index));
  if (indexes.size !== rows.length) problems.push("a batch index appears twice");
  const open = rows.filter((r) => !terminal.has(r.status));
  if (open.length) problems.push(`${open.length} items not terminal`);
  if (out.total !== prompts) problems.push(`output total ${out.total} for ${prompts} prompts`);
  if (out.successful !== completed.length) {
    problems.push(`output successful ${out.successful}, ledger ${completed.length}`);
  }
  if (out.failed !== failed.length) {
    problems.push(`output failed ${out.failed}, ledger ${failed.length}`);
  }
  const paths = completed.map((r) => r.result_storage_path ?? "").sort();
  if (new Set(paths).size !== paths.length || paths.includes("")) {
    problems.push("completed items without a distinct stored result");
  }
  if (JSON.stringify(stored.rows) !== JSON.stringify(paths)) {
    problems.push(`storage.objects ${stored.rows.length} rows vs ${paths.length} results`);
  }
  if (JSON.stringify(stored.files) !== JSON.stringify(paths)) {
    problems.push(`${stored.files.length} files on disk vs ${paths.length} results`);
  }
  return {
    status: execution.status,
    total: rows.length,
    successful: completed.length,
    failed: failed.length,
    problems,
  };
}

/** Time left before the soak's overall deadline (SOAK_DEADLINE, epoch ms), in ms. */
export function remainingMs(): number {
  const deadline = Number(Deno.env.get("SOAK_DEADLINE") ?? Date.now() + 30 * 60_000);
  return Math.max(0, deadline - Date.now());
}
