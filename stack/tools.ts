// Pinned command-line tools the stack runs, installed from the npm registry on first use into
// `.local/tools/<package>@<version>/` (git-ignored), so a fresh machine with only Node/npm gets
// exactly the versions the project was checked against.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./paths.ts";

export interface NpmTool {
  pkg: string;
  version: string;
  /** The file to run, relative to the install's node_modules. */
  entry: string;
}

/** The real Supabase CLI: `db push`, `db lint`, `db advisors`, `functions deploy`. */
export const supabaseCli: NpmTool = { pkg: "supabase", version: "2.117.0", entry: ".bin/supabase" };

/**
 * Deno on the minor hosted Edge Runtime runs (2.1); functions run on it locally. The entry is
 * the executable the package's install step places, not its node wrapper (.bin/deno), so a
 * function's process is Deno itself: signals and stdin reach it directly.
 */
export const edgeDeno: NpmTool = { pkg: "deno", version: "2.1.10", entry: "deno/deno" };

/** Supabase's type generator, the server `supabase gen types` runs in Docker. */
export const postgresMeta: NpmTool = {
  pkg: "@supabase/postgres-meta",
  version: "0.99.0",
  entry: "@supabase/postgres-meta/dist/server/server.js",
};

export function toolDir(tool: NpmTool): string {
  return join(repoRoot, ".local", "tools", `${tool.pkg.replace("/", "__")}@${tool.version}`);
}

/** Absolute path of the tool's entry file, installing the pinned version if it is missing. */
export async function ensureTool(tool: NpmTool): Promise<string> {
  const dir = toolDir(tool);
  const bin = join(dir, "node_modules", tool.entry);
  if (existsSync(bin)) return bin;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, "package.json"), '{ "private": true }\n');
  const out = await new Deno.Command("npm", {
    args: ["install", "--save-exact", "--no-audit", "--no-fund", `${tool.pkg}@${tool.version}`],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success || !existsSync(bin)) {
    const text = new TextDecoder().decode(out.stderr) || new TextDecoder().decode(out.stdout);
    throw new Error(`npm install ${tool.pkg}@${tool.version} failed:\n${text.slice(-2000)}`);
  }
  return bin;
}
