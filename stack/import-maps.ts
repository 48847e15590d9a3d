// Per-function import maps (`supabase/functions/<name>/deno.json`), generated from the root
// deno.json so versions have one source of truth. The Supabase CLI uploads a function with its
// own deno.json and never reads the root one, so each map must name every bare specifier the
// function's import graph (its own files and the shared/ files it reaches) uses, each subpath
// explicitly (`hono/cors`, not a `hono/` prefix: hosted bundling is reported not to resolve those).
//   deno task import-maps           rewrite the maps
//   deno task import-maps --check   exit 1 if a committed map differs from what it should be
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { discoverFunctions } from "./host/function-loader.ts";
import { repoRoot } from "./paths.ts";

export type ImportMap = { imports: Record<string, string> };

function functionsDir(projectDir: string): string {
  return join(projectDir, "supabase", "functions");
}

function functionNames(projectDir: string): Promise<string[]> {
  return discoverFunctions(pathToFileURL(functionsDir(projectDir) + "/"));
}

interface DenoInfo {
  modules: {
    specifier: string;
    dependencies?: { specifier: string; code?: unknown; type?: unknown }[];
  }[];
}

/** True for specifiers an import map must resolve (not relative, absolute or with a scheme). */
export function isBare(specifier: string): boolean {
  return !/^(\.{0,2}\/|[a-z][a-z0-9+.-]*:)/i.test(specifier);
}

/** Resolves a bare specifier the way Deno applies an import map: exact key, else longest prefix. */
export function resolveWith(map: Record<string, string>, specifier: string): string | undefined {
  if (map[specifier]) return map[specifier];
  const prefix = Object.keys(map)
    .filter((key) => key.endsWith("/") && specifier.startsWith(key))
    .sort((a, b) => b.length - a.length)[0];
  return prefix ? map[prefix] + specifier.slice(prefix.length) : undefined;
}

async function rootImports(projectDir: string): Promise<Record<string, string>> {
  const config = JSON.parse(await Deno.readTextFile(join(projectDir, "deno.json")));
  return config.imports ?? {};
}

/** Every bare specifier written in the function's own modules (code and type imports). */
export async function bareSpecifiersOf(projectDir: string, name: string): Promise<string[]> {
  const entry = join(functionsDir(projectDir), name, "index.ts");
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: projectDir,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`deno info ${entry} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as DenoInfo;
  const found = new Set<string>();
  for (const mod of info.modules) {
    if (!mod.specifier.startsWith("file:")) continue;
    for (const dep of mod.dependencies ?? []) {
      if (isBare(dep.specifier)) found.add(dep.specifier);
    }
  }
  return [...found].sort();
}

/** The import map a function needs, with the root deno.json's versions. */
export async function expectedImportMap(
  projectDir: string,
  name: string,
  root?: Record<string, string>,
): Promise<ImportMap> {
  const rootMap = root ?? await rootImports(projectDir);
  const imports: Record<string, string> = {};
  for (const specifier of await bareSpecifiersOf(projectDir, name)) {
    const target = resolveWith(rootMap, specifier);
    if (!target) {
      throw new Error(`${name}: "${specifier}" is imported but not in the root deno.json imports`);
    }
    // `npm:/pkg@v/` is only the prefix-mapping spelling; an explicit entry names the package.
    imports[specifier] = target.replace(/^npm:\//, "npm:");
  }
  return { imports };
}

export function importMapPath(projectDir: string, name: string): string {
  return join(functionsDir(projectDir), name, "deno.json");
}

export function renderImportMap(map: ImportMap): string {
  return JSON.stringify(map, null, 2) + "\n";
}

/** Names of the functions whose committed map differs from the expected one, with the diff. */
export async function staleImportMaps(
  projectDir = repoRoot,
): Promise<{ name: string; problem: string }[]> {
  const root = await rootImports(projectDir);
  const stale: { name: string; problem: string }[] = [];
  for (const name of await functionNames(projectDir)) {
    const want = renderImportMap(await expectedImportMap(projectDir, name, root));
    let have: string | null = null;
    try {
      have = await Deno.readTextFile(importMapPath(projectDir, name));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    if (have !== want) {
      stale.push({
        name,
        problem: have === null
          ? `supabase/functions/${name}/deno.json is missing`
          : `supabase/functions/${name}/deno.json is\n${have}but should be\n${want}`,
      });
    }
  }
  return stale;
}

async function main(args: string[]): Promise<number> {
  if (args.includes("--check")) {
    const stale = await staleImportMaps();
    for (const { problem } of stale) console.error(problem);
    if (stale.length) console.error("run `deno task import-maps` to regenerate them");
    return stale.length ? 1 : 0;
  }
  const root = await rootImports(repoRoot);
  for (const name of await functionNames(repoRoot)) {
    const map = await expectedImportMap(repoRoot, name, root);
    await Deno.writeTextFile(importMapPath(repoRoot, name), renderImportMap(map));
    console.log(`supabase/functions/${name}/deno.json: ${Object.keys(map.imports).join(", ")}`);
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
