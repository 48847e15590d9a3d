// One retention run: for each finished execution past its client's retention (oldest first),
// remove its Storage folder through the Storage API (hosted Supabase refuses direct deletes on
// storage.objects), then let private.purge_execution_content scrub the rows, which it does only
// once the folder is empty. Killed anywhere, a run leaves every execution either untouched or
// with fewer objects and its rows intact; the next run finishes it. Bounded by a count (in
// private.retention_settings) and a wall-clock budget well inside the Edge limit.
import { log } from "../core/log.ts";
import { asService } from "../db/db.ts";
import { removeReferences } from "../storage/reference-images.ts";
import { listFolder, removeResults } from "../storage/results.ts";

const BUDGET_MS = 60_000;

export interface RetentionRun {
  purged: number;
  objects_removed: number;
  skipped: number;
  /** Reference images removed: a deleted run's, a due run's own, stale unused uploads. */
  references_removed: number;
}

/** Reference objects to remove (for one due execution, or with null the queue and stale ones). */
async function referencesToRemove(executionId: string | null, limit: number) {
  return await asService((tx) =>
    tx<{ name: string; reason: string }[]>`
      select r.name, r.reason from private.reference_objects_to_remove(${executionId}, ${limit}) r`
  );
}

/**
 * Deleted executions' references (queued by trigger) and uploads older than their client's
 * retention that no kept execution names: removed through the API, then the queue rows go.
 * A name another execution still uses stays queued until that one is purged or deleted.
 */
async function removeStaleReferences(run: RetentionRun, started: number): Promise<void> {
  while (Date.now() - started < BUDGET_MS) {
    const batch = await referencesToRemove(null, 500);
    if (batch.length === 0) return;
    const names = [...new Set(batch.map((r) => r.name))];
    await removeReferences(names);
    run.references_removed += names.length;
    await asService((tx) =>
      tx`delete from private.storage_garbage g
         where g.bucket_id = 'reference-images' and g.name = any(${names}::text[])`
    );
    if (batch.length < 500) return;
  }
}

export async function runRetention(maxExecutions?: number): Promise<RetentionRun> {
  const started = Date.now();
  const due = await asService((tx) =>
    tx<{ execution_id: string }[]>`
      select d.execution_id from private.retention_due(least(
        (select s.executions_per_run from private.retention_settings s),
        ${maxExecutions ?? null}::integer)) d`
  );
  const run: RetentionRun = { purged: 0, objects_removed: 0, skipped: 0, references_removed: 0 };
  for (const { execution_id } of due) {
    if (Date.now() - started > BUDGET_MS) break;
    const names = await listFolder(execution_id);
    if (names.length > 0) await removeResults(names);
    run.objects_removed += names.length;
    // Its reference images too, unless another kept execution (a retry) still names them.
    const refs = (await referencesToRemove(execution_id, 0)).map((r) => r.name);
    if (refs.length > 0) await removeReferences(refs);
    run.references_removed += refs.length;
    const [{ outcome }] = await asService((tx) =>
      tx<{ outcome: string }[]>`
        select private.purge_execution_content(${execution_id}) as outcome`
    );
    if (outcome === "purged") run.purged++;
    else run.skipped++;
  }
  await removeStaleReferences(run, started);
  log("info", "retention run", {
    ...run,
    due: due.length,
    ms: Date.now() - started,
  });
  return run;
}
