// Where a local stack instance keeps its state. Everything lives under `.local/` (git-ignored)
// so a fresh clone starts clean and `stack reset` is a directory removal.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export type Instance = "dev" | "test" | "bench";

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
  if (value !== "dev" && value !== "test" && value !== "bench") {
    throw new Error(`STACK_INSTANCE must be dev, test or bench, not "${value}"`);
  }
  return value;
}
