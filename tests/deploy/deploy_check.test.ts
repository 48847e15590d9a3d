// The deploy check (stack/deploy/check.ts, run by `deno task test` on the real project) must
// fail when the deployed layout is broken. Each case breaks a throwaway copy of the project,
// deploys it with the real CLI to the Management API stand-in and boots what was uploaded.
import assert from "node:assert/strict";
import { join } from "node:path";
import { type FunctionCheck, runDeployCheck } from "../../stack/deploy/check.ts";
import { copyProject, editImports } from "./project-copy.ts";

function byName(functions: FunctionCheck[]): Record<string, FunctionCheck> {
  return Object.fromEntries(functions.map((fn) => [fn.name, fn]));
}

Deno.test({
  name: "deploy check: an unmapped specifier and a file the CLI does not upload both fail",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const copy = await copyProject();
    try {
      // health: its import map loses an entry its graph (shared/http/app.ts) uses.
      await editImports(join(copy, "supabase/functions/health/deno.json"), (imports) => {
        delete imports["hono/cors"];
      });
      // tickets: a module only reachable through a computed import, which the CLI's import
      // scan cannot see, so it is not uploaded.
      const tickets = join(copy, "supabase/functions/tickets");
      await Deno.writeTextFile(join(tickets, "late.ts"), "export const late = true;\n");
      await Deno.writeTextFile(
        join(tickets, "index.ts"),
        (await Deno.readTextFile(join(tickets, "index.ts"))) +
          'await import(new URL("./late.ts", import.meta.url).href);\n',
      );
      const report = await runDeployCheck({
        projectDir: copy,
        only: ["health", "start-execution", "tickets"],
      });
      assert.deepEqual(report.problems, []);
      const fns = byName(report.functions);
      assert.ok(
        fns.health.problems.some((p) => p.includes('unmapped specifier "hono/cors"')),
        fns.health.problems.join("\n"),
      );
      assert.ok(fns.health.problems.some((p) => p.startsWith("boot error:")), "health booted");
      assert.ok(!fns.tickets.files.includes("supabase/functions/tickets/late.ts"));
      assert.ok(
        fns.tickets.problems.some((p) => p.startsWith("boot error:") && p.includes("late.ts")),
        fns.tickets.problems.join("\n"),
      );
      // The untouched function in the same deploy passes: the failures are the breakages'.
      assert.deepEqual(fns["start-execution"].problems, []);
      assert.equal(fns["start-execution"].answer, "GET /start-execution -> 401 unauthorized");
    } finally {
      await Deno.remove(copy, { recursive: true });
    }
  },
});

Deno.test({
  name: "deploy check: uploaded verify_jwt that disagrees with config.toml fails",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const copy = await copyProject();
    try {
      const report = await runDeployCheck({
        projectDir: copy,
        only: ["health"],
        cliArgs: ["--no-verify-jwt"],
      });
      const [health] = report.functions;
      assert.deepEqual(health.problems, [
        "uploaded metadata verify_jwt is false, config.toml says true",
      ]);
    } finally {
      await Deno.remove(copy, { recursive: true });
    }
  },
});
