// `deno task gen-types [--check]`: starts the stack instance (STACK_INSTANCE, default dev) with
// every migration pushed, and writes shared/types/database.ts from it with Supabase's generator;
// `--check` only reports whether the committed file is stale (exit 1 when it is).
import { databaseTypesDrift, databaseTypesFile, generateDatabaseTypes } from "./database-types.ts";
import { instanceFromEnv } from "./paths.ts";
import { up } from "./stack.ts";

async function main(args: string[]): Promise<number> {
  const check = args.includes("--check");
  const state = await up(instanceFromEnv(), { quiet: true });
  if (check) {
    const drift = await databaseTypesDrift(state.dbUrl);
    console.log(drift ?? "shared/types/database.ts is up to date");
    return drift ? 1 : 0;
  }
  await Deno.mkdir(new URL("../shared/types/", import.meta.url), { recursive: true });
  await Deno.writeTextFile(databaseTypesFile, await generateDatabaseTypes(state.dbUrl));
  console.log(`wrote ${databaseTypesFile}`);
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`gen-types: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
