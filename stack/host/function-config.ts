// Per-function settings from supabase/config.toml, read the way the Supabase CLI reads them:
// `[functions.<name>] verify_jwt` defaults to true, `enabled = false` hides the function.
import { parse } from "smol-toml";

export interface FunctionSettings {
  verifyJwt: boolean;
  enabled: boolean;
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
  return (name) => ({
    verifyJwt: functions[name]?.verify_jwt !== false,
    enabled: functions[name]?.enabled !== false,
  });
}
