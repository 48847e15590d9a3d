// A throwaway copy of the parts of the project the Supabase CLI and Deno read when deploying
// functions (supabase/, shared/, deno.json, deno.lock), for tests that break it on purpose.
import { cpSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../stack/paths.ts";

export async function copyProject(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "project-copy-" });
  for (const part of ["supabase", "shared", "deno.json", "deno.lock"]) {
    cpSync(join(repoRoot, part), join(dir, part), {
      recursive: true,
      filter: (src) => !src.includes(`${join(repoRoot, "supabase", ".temp")}`),
    });
  }
  return dir;
}

/** Edits the `imports` of a deno.json (the root one or a function's). */
export async function editImports(
  path: string,
  edit: (imports: Record<string, string>) => void,
): Promise<void> {
  const value = JSON.parse(await Deno.readTextFile(path));
  edit(value.imports);
  await Deno.writeTextFile(path, JSON.stringify(value, null, 2) + "\n");
}
