// Where a local stack instance keeps its state. Everything lives under `.local/` (git-ignored)
// so a fresh clone starts clean and `stack reset` is a directory removal.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** `dev` (start/stack), `test` (deno task test), `bench`; any other simple name is a scratch instance. */
export type Instance = string;

export interface StackPaths {
  instance: Instance;
  dir: string;
  pgdata: string;
  logs: string;
  run: string;
  storage: string;
  stateFile: string;
  envFile: string;
}

export function stackPaths(instance: Instance): StackPaths {
  const dir = join(repoRoot, ".local", instance);
  return {
    instance,
    dir,
    pgdata: join(dir, "pgdata"),
    logs: join(dir, "logs"),
    run: join(dir, "run"),
    storage: join(dir, "storage"),
    stateFile: join(dir, "stack.json"),
    envFile: join(dir, "stack.env"),
  };
}

export function instanceFromEnv(): Instance {
  const value = Deno.env.get("STACK_INSTANCE") ?? "dev";
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(value)) {
    throw new Error(`STACK_INSTANCE must be a simple lower-case name, not "${value}"`);
  }
  return value;
}
