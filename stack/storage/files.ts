// Filesystem side of objects, staged so it can follow the database transaction: bytes go to
// a temp file first, are moved into place just before COMMIT, and are put back if COMMIT
// fails. Deletes move files aside the same way and only unlink after COMMIT.
import { randomUUID } from "node:crypto";
import { dirname, sep } from "node:path";

export interface Staged {
  // Moves the staged state into place; call inside the transaction, last.
  apply(): Promise<void>;
  // After COMMIT: drop backups. After a failure: restore what `apply` replaced.
  finish(committed: boolean): Promise<void>;
}

function sidePath(file: string, tag: string): string {
  return `${file}.${tag}-${randomUUID()}`;
}

async function rm(file: string): Promise<void> {
  try {
    await Deno.remove(file);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

async function moveIfExists(from: string, to: string): Promise<boolean> {
  try {
    await Deno.rename(from, to);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

// Removes now-empty folders from `dir` up to (not including) `root`, so failed uploads and
// deletes leave no trace. A folder that is not empty stops the walk.
async function pruneEmptyDirs(dir: string, root: string): Promise<void> {
  for (let at = dir; at.startsWith(root + sep); at = dirname(at)) {
    try {
      await Deno.remove(at);
    } catch {
      return;
    }
  }
}

// A concurrent prune may remove the folder between mkdir and write; one retry covers it, as
// the folder is never empty once the temp file is in it.
async function writeTemp(file: string, bytes: Uint8Array): Promise<string> {
  const temp = sidePath(file, "upload");
  for (let attempt = 0;; attempt++) {
    await Deno.mkdir(dirname(file), { recursive: true });
    try {
      await Deno.writeFile(temp, bytes);
      return temp;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound) || attempt > 0) throw error;
    }
  }
}

// The temp file is written up front (outside the transaction) so the row lock is held only
// for two renames.
export async function stageWrite(file: string, bytes: Uint8Array, root: string): Promise<Staged> {
  const temp = await writeTemp(file, bytes);
  const backup = sidePath(file, "previous");
  let replaced = false;
  let applied = false;
  return {
    async apply() {
      replaced = await moveIfExists(file, backup);
      await Deno.rename(temp, file);
      applied = true;
    },
    async finish(committed) {
      if (!committed) {
        if (applied) await rm(file);
        if (replaced) await Deno.rename(backup, file);
      }
      await rm(temp);
      await rm(backup);
      if (!committed) await pruneEmptyDirs(dirname(file), root);
    },
  };
}

export function stageRemoval(files: string[], root: string): Staged {
  const moved: [string, string][] = [];
  return {
    async apply() {
      for (const file of files) {
        const aside = sidePath(file, "deleted");
        if (await moveIfExists(file, aside)) moved.push([file, aside]);
      }
    },
    async finish(committed) {
      for (const [file, aside] of moved) {
        if (committed) {
          await rm(aside);
          await pruneEmptyDirs(dirname(file), root);
        } else await Deno.rename(aside, file);
      }
    },
  };
}

// Runs `work` (which ends with `staged.apply()`) inside a transaction opener and settles the
// files according to whether the transaction committed.
export async function withStaged<T>(staged: Staged, run: () => Promise<T>): Promise<T> {
  let committed = false;
  try {
    const result = await run();
    committed = true;
    return result;
  } finally {
    await staged.finish(committed);
  }
}
