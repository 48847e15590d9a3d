// `deno task test`: rebuilds the `test` stack from scratch (migrations and seed through the real
// CLI's db push, as postgres), runs the database gates (CLI db lint and db advisors), every
// pgTAP file with pg_prove and every Deno test against it, then the deploy check (the real
// Supabase CLI deploys every function to a Management API stand-in and each is booted from the
// uploaded files on Deno 2.1: stack/deploy-check.ts), prints the counts, and stops the stack.
// Extra arguments are passed to `deno test` (e.g. a file or --filter); the gates, pgTAP and the
// deploy check then do not run.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { deployCheck } from "./deploy-check.ts";
import { repoRoot, stackPaths } from "./paths.ts";

// STACK_INSTANCE lets a second suite run beside another without sharing its stack.
const instance = Deno.env.get("STACK_INSTANCE") ?? "test";
import { ensureBrowser } from "./packages.ts";
import { down, reset, up } from "./stack.ts";
import { runDbGates } from "./db-gates.ts";
import type { StackState } from "./stack.ts";

interface Outcome {
  passed: number;
  failed: number;
  ok: boolean;
}

function pgEnv(state: StackState): Record<string, string> {
  return {
    PGHOST: "127.0.0.1",
    PGPORT: String(state.dbPort),
    PGUSER: "postgres",
    PGPASSWORD: "postgres",
    PGDATABASE: "postgres",
  };
}

async function tee(cmd: Deno.Command): Promise<{ code: number; text: string }> {
  const child = cmd.spawn();
  let text = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>, sink: typeof Deno.stdout) => {
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      await sink.write(chunk);
    }
  };
  await Promise.all([pump(child.stdout, Deno.stdout), pump(child.stderr, Deno.stderr)]);
  const { code } = await child.status;
  return { code, text };
}

// Before pgTAP loads its helpers, so the advisors see only what the migrations made.
async function runGates(state: StackState): Promise<Outcome> {
  let passed = 0;
  let failed = 0;
  for (const gate of await runDbGates(state.dbUrl)) {
    console.log(`${gate.ok ? "ok" : "FAILED"} - ${gate.name}`);
    for (const line of gate.lines) console.log(`    ${line}`);
    if (gate.ok) passed++;
    else failed++;
  }
  return { passed, failed, ok: failed === 0 };
}

async function runPgTap(state: StackState): Promise<Outcome> {
  const env = pgEnv(state);
  const helpers = await new Deno.Command("psql", {
    args: ["-q", "-v", "ON_ERROR_STOP=1", "-f", join(repoRoot, "tests/db/helpers.sql")],
    env,
  }).output();
  if (!helpers.success) {
    console.error(new TextDecoder().decode(helpers.stderr));
    return { passed: 0, failed: 1, ok: false };
  }
  const files = [...Deno.readDirSync(join(repoRoot, "tests/db"))]
    .map((e) => e.name).filter((n) => n.endsWith(".test.sql")).sort()
    .map((n) => join("tests/db", n));
  const { code, text } = await tee(
    new Deno.Command("pg_prove", {
      args: ["--ext", ".sql", "-f", ...files],
      cwd: repoRoot,
      env,
      stdout: "piped",
      stderr: "piped",
    }),
  );
  const total = Number(/Tests=(\d+)/.exec(text)?.[1] ?? 0);
  const failedLines = [...text.matchAll(/Failed (\d+)\/(\d+) subtests/g)];
  const failed = failedLines.reduce((n, m) => n + Number(m[1]), 0) ||
    (code === 0 ? 0 : 1);
  return { passed: Math.max(total - failed, 0), failed, ok: code === 0 };
}

async function runDenoTests(state: StackState, extra: string[]): Promise<Outcome> {
  const { code, text } = await tee(
    new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", ...(extra.length ? extra : ["tests/"])],
      cwd: repoRoot,
      env: { STACK_DIR: stackPaths(state.instance).dir, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }),
  );
  const m = /(\d+) passed.*?\| (\d+) failed/.exec(text);
  const passed = Number(m?.[1] ?? 0);
  const failed = Number(m?.[2] ?? (code === 0 ? 0 : 1));
  return { passed, failed, ok: code === 0 };
}

async function runDeployCheck(): Promise<Outcome> {
  try {
    return await deployCheck();
  } catch (error) {
    console.error(`[deploy] the deploy check could not run: ${(error as Error).stack ?? error}`);
    return { passed: 0, failed: 1, ok: false };
  }
}

async function main(extra: string[]): Promise<number> {
  const onlyDeno = extra.length > 0;
  if (!onlyDeno || extra.some((a) => a.includes("browser"))) await ensureBrowser();
  console.log(`[test] rebuilding the ${instance} stack from scratch`);
  await reset(instance);
  let state: StackState;
  try {
    state = await up(instance, { quiet: true });
  } catch (error) {
    const logs = stackPaths(instance).logs;
    for (const name of ["functions.log", "pgnet.log"]) {
      const file = join(logs, name);
      if (existsSync(file)) {
        console.error(`--- ${name}\n${Deno.readTextFileSync(file).slice(-4000)}`);
      }
    }
    throw error;
  }
  try {
    const none = { passed: 0, failed: 0, ok: true };
    const gates = onlyDeno ? none : await runGates(state);
    const db = onlyDeno ? none : await runPgTap(state);
    const deno = await runDenoTests(state, extra);
    const deploy = onlyDeno ? none : await runDeployCheck();
    console.log(`\n[test] gates:  ${gates.passed} passed, ${gates.failed} failed`);
    console.log(`[test] pgTAP:  ${db.passed} passed, ${db.failed} failed`);
    console.log(`[test] Deno:   ${deno.passed} passed, ${deno.failed} failed`);
    if (!onlyDeno) console.log(`[test] deploy: ${deploy.passed} passed, ${deploy.failed} failed`);
    const passed = gates.passed + db.passed + deno.passed + deploy.passed;
    const failed = gates.failed + db.failed + deno.failed + deploy.failed;
    console.log(`${passed} passed, ${failed} failed`);
    return gates.ok && db.ok && deno.ok && deploy.ok ? 0 : 1;
  } finally {
    await down(instance);
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`test: ${(error as Error).stack ?? error}`);
    await down(instance).catch(() => {});
    Deno.exit(1);
  }
}
