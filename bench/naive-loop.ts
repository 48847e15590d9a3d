// The design a Supabase developer writes first, as the baseline of the naive-design benchmark:
// ONE function invocation that loops over every prompt sequentially and, per prompt, does the
// same work as a process-batch item: generate through shared/gemini/gemini.ts (the real SDK), store
// the image through shared/storage/results.ts (Storage API), write the result row. No ledger,
// no leases, no chain: if the invocation dies (150 s wall clock), the rest is lost.
import type postgres from "postgres";
import { generateImage } from "../shared/gemini/gemini.ts";
import { extensionFor, uploadResult } from "../shared/storage/results.ts";

export interface NaiveInput {
  executionId: string;
  model: string;
  apiKey: string;
  prompts: string[];
}

export interface NaiveReport {
  ms: number;
  succeeded: number;
  failed: number;
}

export async function naiveInvocation(sql: postgres.Sql, input: NaiveInput): Promise<NaiveReport> {
  const t0 = performance.now();
  let succeeded = 0;
  let failed = 0;
  for (const [index, prompt] of input.prompts.entries()) {
    const itemStart = performance.now();
    const result = await generateImage({
      apiKey: input.apiKey,
      model: input.model,
      prompt,
      timeoutMs: 60_000,
    });
    if (!result.ok) {
      failed++;
      await sql`
        insert into public.workflow_batch_results
          (execution_id, batch_index, prompt_text, status, error_message, completed_at)
        values (${input.executionId}, ${index}, ${prompt}, 'failed', ${result.message}, now())`;
      continue;
    }
    const path = `${input.executionId}/${index}_${Date.now()}.${extensionFor(result.mimeType)}`;
    await uploadResult(path, result.bytes, result.mimeType);
    await sql`
      insert into public.workflow_batch_results
        (execution_id, batch_index, prompt_text, status, result_storage_path,
         processing_time_ms, completed_at)
      values (${input.executionId}, ${index}, ${prompt}, 'completed', ${path},
        ${Math.round(performance.now() - itemStart)}, now())`;
    succeeded++;
  }
  await sql`
    update public.workflow_executions
    set status = case when ${succeeded} > 0 then 'completed' else 'failed' end,
      output_data = ${sql.json({ successful: succeeded, failed, total: input.prompts.length })},
      completed_at = now(), storage_reconciled_at = now()
    where id = ${input.executionId}`;
  return { ms: performance.now() - t0, succeeded, failed };
}
