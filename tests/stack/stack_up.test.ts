// `deno task stack up|env|status|down` on a scratch stack instance of its own: `up` returns
// with the fake Gemini running (GEMINI_API_KEY unset), so an execution started right after
// `up` completes instead of failing on an unreachable Gemini; `env` prints the keys,
// publishable and secret ones included, and the Gemini base URL in use. The rule that
// GEMINI_API_KEY switches the dev stack to Google (no fake) is checked without a process.
import assert from "node:assert/strict";
import { join } from "node:path";
import { createClient } from "@supabase/supabase-js";
import { geminiBaseUrl, GOOGLE_GEMINI_API, usesGeminiFake } from "../../stack/gemini-env.ts";
import { repoRoot, stackPaths } from "../../stack/paths.ts";

const instance = `upcheck${crypto.randomUUID().slice(0, 6)}`;

async function cli(
  ...args: string[]
): Promise<{ code: number; stdout: string; out: string }> {
  const env = Deno.env.toObject();
  delete env.GEMINI_API_KEY;
  delete env.GOOGLE_GEMINI_BASE_URL;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(repoRoot, "stack/cli.ts"), ...args],
    cwd: repoRoot,
    env: { ...env, STACK_INSTANCE: instance, NO_COLOR: "1" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  const stdout = decode(output.stdout);
  return { code: output.code, stdout, out: stdout + decode(output.stderr) };
}

function withEnv(vars: Record<string, string | undefined>, fn: () => void): void {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  const set = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
    }
  };
  set(vars);
  try {
    fn();
  } finally {
    set(before);
  }
}

Deno.test("stack cli: the dev stack uses Google when GEMINI_API_KEY is set, else the fake", () => {
  // The dev instance's rule, on a folder of its own (the real dev stack is left alone).
  const dev = { ...stackPaths("dev"), dir: Deno.makeTempDirSync({ prefix: "devrule" }) };
  withEnv({ GEMINI_API_KEY: "a-key", GOOGLE_GEMINI_BASE_URL: undefined }, () => {
    assert.equal(usesGeminiFake(dev), false);
    assert.equal(geminiBaseUrl(dev), GOOGLE_GEMINI_API);
  });
  withEnv({ GEMINI_API_KEY: undefined, GOOGLE_GEMINI_BASE_URL: undefined }, () => {
    assert.equal(usesGeminiFake(dev), true);
    assert.match(geminiBaseUrl(dev), /^http:\/\/127\.0\.0\.1:\d+$/);
  });
  Deno.removeSync(dev.dir, { recursive: true });
});

Deno.test({
  name: "stack cli: up starts the fake Gemini, env prints the keys and its URL",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    try {
      const upRun = await cli("up");
      assert.equal(upRun.code, 0, upRun.out);
      assert.match(upRun.out, /Gemini: FAKE at http:\/\/127\.0\.0\.1:\d+/);

      const envRun = await cli("env");
      assert.equal(envRun.code, 0, envRun.out);
      const env = Object.fromEntries(
        envRun.stdout.trim().split("\n").map((
          l,
        ) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
      );

      await t.step("env prints every key and the Gemini base URL", () => {
        assert.deepEqual(Object.keys(env).sort(), [
          "GOOGLE_GEMINI_BASE_URL",
          "SUPABASE_ANON_KEY",
          "SUPABASE_DB_URL",
          "SUPABASE_PUBLISHABLE_KEY",
          "SUPABASE_SECRET_KEY",
          "SUPABASE_SERVICE_ROLE_KEY",
          "SUPABASE_URL",
        ]);
        assert.match(env.SUPABASE_PUBLISHABLE_KEY, /^sb_publishable_/);
        assert.match(env.SUPABASE_SECRET_KEY, /^sb_secret_/);
        assert.match(env.GOOGLE_GEMINI_BASE_URL, /^http:\/\/127\.0\.0\.1:\d+$/);
        const file = Deno.readTextFileSync(stackPaths(instance).envFile);
        assert.equal(file, envRun.stdout);
      });

      await t.step("status lists the fake as a running service", async () => {
        const statusRun = await cli("status");
        assert.equal(statusRun.code, 0, statusRun.out);
        assert.match(statusRun.out, /gemini\s+running \(fake\) on http:\/\/127\.0\.0\.1:\d+/);
      });

      await t.step("an execution started after up completes", async () => {
        const token = (await cli("token", "collaborator@acme.test")).stdout.trim();
        const client = createClient(env.SUPABASE_URL, env.SUPABASE_PUBLISHABLE_KEY, {
          global: { headers: { Authorization: `Bearer ${token}` } },
          auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
        });
        const { data, error } = await client.functions.invoke("start-execution", {
          body: {
            workflow_id: "e0000000-0000-4000-8000-000000000001",
            prompts: ["a red fox in snow", "a lighthouse at dusk"],
          },
        });
        assert.equal(error, null);
        const deadline = Date.now() + 60_000;
        let view: { status: string; progress: { completed: number } } | null = null;
        while (Date.now() < deadline) {
          const res = await client.functions.invoke(
            `start-execution/${data.execution.id}?results=false`,
            {
              method: "GET",
            },
          );
          view = res.data?.execution ?? null;
          if (view && ["completed", "failed", "cancelled"].includes(view.status)) break;
          await new Promise((r) => setTimeout(r, 250));
        }
        assert.equal(view?.status, "completed", JSON.stringify(view));
        assert.equal(view?.progress.completed, 2);
      });
    } finally {
      const downRun = await cli("down");
      assert.equal(downRun.code, 0, downRun.out);
      await Deno.remove(stackPaths(instance).dir, { recursive: true }).catch(() => {});
    }
  },
});
