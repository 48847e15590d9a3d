// `deno task deploy-check [function…]`: deploys the functions with the real Supabase CLI to a
// local stand-in of the Management API and boots each from exactly the uploaded files on the
// Deno hosted Edge Runtime uses (stack/deploy/check.ts). `deno task test` runs it too.
import { type DeployCheckReport, runDeployCheck } from "./deploy/check.ts";
import { repoRoot } from "./paths.ts";

export interface DeployOutcome {
  passed: number;
  failed: number;
  ok: boolean;
}

/** Prints the report; one pass or failure per function, plus one failure for global problems. */
export function printDeployReport(report: DeployCheckReport): DeployOutcome {
  let passed = 0;
  let failed = 0;
  for (const fn of report.functions) {
    const ok = fn.problems.length === 0;
    if (ok) passed++;
    else failed++;
    console.log(`[deploy] ${ok ? "ok  " : "FAIL"} ${fn.name}: ${fn.answer ?? "not booted"}`);
    console.log(`         uploaded ${fn.files.length} files: ${fn.files.join(", ")}`);
    for (const problem of fn.problems) console.log(`         problem: ${problem}`);
    if (!ok && fn.output.length) {
      console.log(`         function output:\n           ${fn.output.join("\n           ")}`);
    }
  }
  for (const problem of report.problems) console.log(`[deploy] FAIL ${problem}`);
  if (report.problems.length) {
    failed++;
    console.log(`[deploy] CLI output:\n${report.cliOutput.trim()}`);
  }
  if (report.functions.length === 0 && report.problems.length === 0) {
    failed++;
    console.log("[deploy] FAIL no function was checked");
  }
  return { passed, failed, ok: failed === 0 };
}

export async function deployCheck(only?: string[]): Promise<DeployOutcome> {
  console.log(
    "[deploy] supabase functions deploy --use-api (real CLI) -> Management API stand-in on " +
      "127.0.0.1:8080; booting each function from the uploaded files on Deno 2.1",
  );
  const report = await runDeployCheck({ projectDir: repoRoot, only });
  return printDeployReport(report);
}

if (import.meta.main) {
  const outcome = await deployCheck(Deno.args.length ? Deno.args : undefined);
  console.log(`[deploy] ${outcome.passed} passed, ${outcome.failed} failed`);
  Deno.exit(outcome.ok ? 0 : 1);
}
