// One retention run: for each finished execution past its client's retention (oldest first),
// remove its Storage folder through the Storage API (hosted Supabase refuses direct deletes on
// storage.objects), then let private.purge_execution_content scrub the rows, which it does only
// once the folder is empty. Killed anywhere, a run leaves every execution either untouched or
// with fewer objects and its rows intact; the next run finishes it. Bounded by a count (in
// private.retention_settings) and a wall-clock budget well inside the Edge limit.
import { log } from "../core/log.ts";
import { asService } from "../db/db.ts";
import { listFolder, removeResults } from "../storage/results.ts";

const BUDGET_MS = 60_000;

export interface RetentionRun {
  purged: number;
  objects_removed: number;
  skipped: number;
}

export async function runRetention(maxExecutions?: number): Promise<RetentionRun> {
  const started = Date.now();
  const due = await asService((tx) =>
    tx<{ execution_id: string }[]>`
      select d.execution_id from private.retention_due(least(
        (select s.executions_per_run from private.retention_settings s),
        ${maxExecutions ?? null}::integer)) d`
  );
  const run: RetentionRun = { purged: 0, objects_removed: 0, skipped: 0 };
  for (const { execution_id } of due) {
    if (Date.now() - started > BUDGET_MS) break;
    const names = await listFolder(execution_id);
    if (names.length > 0) await removeResults(names);
    run.objects_removed += names.length;
    const [{ outcome }] = await asService((tx) =>
      tx<{ outcome: string }[]>`
        select private.purge_execution_content(${execution_id}) as outcome`
    );
    if (outcome === "purged") run.purged++;
    else run.skipped++;
  }
  log("info", "retention run", {
    ...run,
    due: due.length,
    ms: Date.now() - started,
  });
  return run;
}
