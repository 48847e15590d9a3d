// Per-function settings from supabase/config.toml, read the way the Supabase CLI reads them:
// `[functions.<name>] verify_jwt` defaults to true, `enabled = false` hides the function, and
// `entrypoint` / `import_map` are relative to supabase/. When no import_map is configured the
// CLI takes the first of functions/<name>/deno.json, deno.jsonc, import_map.json, then
// functions/import_map.json; the project's root deno.json is never part of a deployed function.
import { existsSync } from "node:fs";
import { join, normalize, relative } from "node:path";
import { parse } from "smol-toml";

export interface FunctionSettings {
  verifyJwt: boolean;
  enabled: boolean;
  /** `entrypoint` from config.toml, relative to supabase/, if set. */
  entrypoint?: string;
  /** `import_map` from config.toml, relative to supabase/, if set. */
  importMap?: string;
}

export async function readFunctionSettings(
  configPath: string,
): Promise<(name: string) => FunctionSettings> {
  let functions: Record<string, Record<string, unknown>> = {};
  try {
    const config = parse(await Deno.readTextFile(configPath)) as {
      functions?: Record<string, Record<string, unknown>>;
    };
    functions = config.functions ?? {};
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const text = (value: unknown) => typeof value === "string" && value ? value : undefined;
  return (name) => ({
    verifyJwt: functions[name]?.verify_jwt !== false,
    enabled: functions[name]?.enabled !== false,
    entrypoint: text(functions[name]?.entrypoint),
    importMap: text(functions[name]?.import_map),
  });
}

/** Where a function's code and import map are, as paths relative to the project root. */
export interface FunctionFiles {
  entrypoint: string;
  /** "" when the function has no import map (the CLI then uploads none). */
  importMap: string;
}

/** Resolves a function's entrypoint and import map in the CLI's order of precedence. */
export function functionFiles(
  projectDir: string,
  name: string,
  settings: FunctionSettings,
): FunctionFiles {
  const fromProject = (path: string) => normalize(relative(projectDir, path));
  const supabaseDir = join(projectDir, "supabase");
  const functionDir = join(supabaseDir, "functions", name);
  const entrypoint = settings.entrypoint
    ? join(supabaseDir, settings.entrypoint)
    : join(functionDir, "index.ts");
  const candidates = settings.importMap ? [join(supabaseDir, settings.importMap)] : [
    join(functionDir, "deno.json"),
    join(functionDir, "deno.jsonc"),
    join(functionDir, "import_map.json"),
    join(supabaseDir, "functions", "import_map.json"),
  ];
  const importMap = candidates.find((path) => existsSync(path));
  if (settings.importMap && !importMap) {
    throw new Error(`${name}: import_map ${settings.importMap} in config.toml does not exist`);
  }
  return {
    entrypoint: fromProject(entrypoint),
    importMap: importMap ? fromProject(importMap) : "",
  };
}
