// Detached service processes of the stack (functions host, pg_net worker, and the fake Gemini
// when `stack up` / `task start` use it). Each runs in its
// own session so `stack down` (or a fault test) can signal its whole process group, and
// logs to a file so it outlives the command that started it.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./paths.ts";
import type { StackPaths } from "./paths.ts";

export type Service = "functions" | "pgnet" | "gemini";

const entry: Record<Service, string> = {
  functions: "stack/functions-host.ts",
  pgnet: "stack/pgnet-worker.ts",
  gemini: "tests/fakes/gemini.ts",
};

function pidFile(paths: StackPaths, name: Service): string {
  return join(paths.run, `${name}.pid`);
}

export function readPid(paths: StackPaths, name: Service): number | null {
  const file = pidFile(paths, name);
  if (!existsSync(file)) return null;
  const pid = Number(Deno.readTextFileSync(file).trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

export function alive(pid: number | null): boolean {
  if (pid === null) return false;
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

export async function startService(
  paths: StackPaths,
  name: Service,
  env: Record<string, string>,
): Promise<number> {
  await Deno.mkdir(paths.run, { recursive: true });
  await Deno.mkdir(paths.logs, { recursive: true });
  const log = join(paths.logs, `${name}.log`);
  const child = new Deno.Command("setsid", {
    args: [
      "sh",
      "-c",
      'log="$1"; shift; exec "$@" >>"$log" 2>&1 </dev/null',
      "sh",
      log,
      Deno.execPath(),
      "run",
      "-A",
      "--quiet",
      join(repoRoot, entry[name]),
    ],
    cwd: repoRoot,
    env,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  child.unref();
  await Deno.writeTextFile(pidFile(paths, name), String(child.pid));
  return child.pid;
}

export async function stopService(paths: StackPaths, name: Service): Promise<void> {
  const pid = readPid(paths, name);
  if (alive(pid)) {
    signalGroup(pid!, "SIGTERM");
    const deadline = Date.now() + 5000;
    while (alive(pid) && Date.now() < deadline) await delay(50);
    if (alive(pid)) signalGroup(pid!, "SIGKILL");
  }
  await Deno.remove(pidFile(paths, name)).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
}

export function signalGroup(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(-pid, signal);
  } catch {
    try {
      Deno.kill(pid, signal);
    } catch { /* already gone */ }
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
