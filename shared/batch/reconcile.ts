// The orphan check of a finished execution: every object in its folder must back a completed
// item. Objects of attempts that never committed (a link killed between upload and commit, a
// stale link whose lease was taken over) are removed here, once nothing can write any more.
import { listFolder, removeResults } from "../storage/results.ts";
import { markReconciled, resultPaths } from "./ledger.ts";

export async function reconcileStorage(executionId: string): Promise<number> {
  const keep = new Set(await resultPaths(executionId));
  const orphans = (await listFolder(executionId)).filter((name) => !keep.has(name));
  if (orphans.length > 0) await removeResults(orphans);
  await markReconciled(executionId);
  return orphans.length;
}
