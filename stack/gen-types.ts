// `deno task gen-types`: brings up the local stack (STACK_INSTANCE, default dev; `up` applies
// any new migration), runs Supabase's type generator against its database and writes
// shared/types/database.ts. Commit the result with the migration that changed it.
import { dirname } from "node:path";
import {
  DATABASE_TYPES_FILE,
  databaseTypesFile,
  databaseTypesPath,
  generateDatabaseTypes,
} from "./database-types.ts";
import { instanceFromEnv } from "./paths.ts";
import { up } from "./stack.ts";

const instance = instanceFromEnv();
const state = await up(instance, { quiet: true });
const content = databaseTypesFile(await generateDatabaseTypes(state.dbUrl));
await Deno.mkdir(dirname(databaseTypesPath()), { recursive: true });
await Deno.writeTextFile(databaseTypesPath(), content);
console.log(`[gen-types] ${DATABASE_TYPES_FILE} written from the ${instance} stack`);
