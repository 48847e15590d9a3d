// shared/db/immediate.ts: the prompt setImmediate for npm code on Deno 2.1. The shim runs callbacks
// after the code that scheduled them, with their arguments, never after clearImmediate, and
// falls back to a timer past its per-turn streak so a loop yielding through it lets timers (and
// I/O) run. It installs only where user code sees no setImmediate (Deno 2.1).
import assert from "node:assert/strict";
import {
  clearImmediateShim,
  installPromptImmediate,
  setImmediateShim,
} from "../../shared/db/immediate.ts";
import { edgeDenoCommand } from "../../stack/host/function-workers.ts";
import { stack } from "../helpers/stack.ts";

Deno.test("the shim runs after the scheduling code, with arguments, and clear cancels", async () => {
  const seen: string[] = [];
  setImmediateShim((a, b) => seen.push(`${a}${b}`), "x", "y");
  const cancelled = setImmediateShim(() => seen.push("cancelled"));
  clearImmediateShim(cancelled);
  clearImmediateShim(null);
  seen.push("sync");
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(seen, ["sync", "xy"]);
});

Deno.test("a loop yielding through the shim lets a timer run", async () => {
  let timerRan = false;
  setTimeout(() => timerRan = true, 0);
  let spins = 0;
  const started = performance.now();
  while (!timerRan && performance.now() - started < 2000) {
    await new Promise((r) => setImmediateShim(r));
    spins++;
  }
  assert.ok(timerRan, `the timer never ran in ${spins} yields`);
});

Deno.test("current Deno already has setImmediate: the shim does not install", () => {
  assert.equal(installPromptImmediate(), false);
});

// On Deno 2.1 (user code sees no setImmediate there) the shim installs and postgres.js, which
// flushes its writes through setImmediate, still answers. How much faster it is is measured
// in bench/, not asserted here.
const PROBE = `
import postgres from "npm:postgres@3.4.9";
import { installPromptImmediate } from "${new URL(
  "../../shared/db/immediate.ts",
  import.meta.url,
)}";
const before = typeof globalThis.setImmediate;
const installed = installPromptImmediate();
const sql = postgres(Deno.args[0], { max: 1, prepare: false, onnotice: () => {} });
const rows = await Promise.all([1, 2, 3].map((n) => sql\`select \${n}::int as n\`));
await sql.begin(async (tx) => { await tx\`select 1\`; });
await sql.end();
console.log(JSON.stringify({ before, installed, ns: rows.map((r) => r[0].n) }));
`;

Deno.test("on Deno 2.1 the shim installs and postgres.js works through it", async () => {
  const deno = await edgeDenoCommand();
  const dir = await Deno.makeTempDir({ prefix: "immediate-" });
  const script = `${dir}/probe.ts`;
  await Deno.writeTextFile(script, PROBE);
  try {
    const out = await new Deno.Command(deno.path, {
      args: ["run", "--no-config", "-A", "--quiet", script, stack().dbUrl],
      env: deno.env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const got = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.deepEqual(got, { before: "undefined", installed: true, ns: [1, 2, 3] });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
