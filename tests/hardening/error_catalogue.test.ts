// The error-code catalogue (shared/core/error-codes.ts) is the one list of codes the API
// answers. Every code TypeScript throws and every code SQL raises (the hint of a custom
// SQLSTATE, or the `code` of a workflow-rule problem raised as MS422) must be in it, with the
// status the SQLSTATE gives; the README's error table must list the catalogue as it is.
import assert from "node:assert/strict";
import { errorCodes, isErrorCode } from "../../shared/core/error-codes.ts";
import { customSqlStates } from "../../shared/db/pg-errors.ts";

const root = new URL("../../", import.meta.url);

async function filesUnder(dir: string, ext: string): Promise<URL[]> {
  const out: URL[] = [];
  const walk = async (url: URL) => {
    for await (const e of Deno.readDir(url)) {
      const child = new URL(e.name + (e.isDirectory ? "/" : ""), url);
      if (e.isDirectory) await walk(child);
      else if (e.name.endsWith(ext)) out.push(child);
    }
  };
  await walk(new URL(dir, root));
  return out;
}

/** `using errcode = 'MS4xx', … hint = 'code'` clauses, and problem objects' codes (MS422). */
export function sqlCodes(sql: string): { code: string; status: number }[] {
  const found: { code: string; status: number }[] = [];
  for (const m of sql.matchAll(/errcode\s*=\s*'MS(\d{3})'([^;]*)/g)) {
    const hint = m[2].match(/hint\s*=\s*'([^']*)'/);
    if (hint) found.push({ code: hint[1], status: Number(m[1]) });
  }
  // Workflow-rule problems ({code, field, message}) are raised with their code as the hint.
  for (const m of sql.matchAll(/'code',\s*'([a-z_]+)'\s*,\s*'(?:field|message)'/g)) {
    found.push({ code: m[1], status: 422 });
  }
  return found;
}

/** Codes TypeScript throws: `new HttpError("code", …)`. */
export function tsCodes(source: string): string[] {
  return [...source.matchAll(/new HttpError\(\s*"([^"]+)"/g)].map((m) => m[1]);
}

Deno.test("error catalogue: the scanners find what they look for", () => {
  assert.deepEqual(
    sqlCodes(`raise exception 'x' using errcode = 'MS409', hint = 'made_up';
      jsonb_build_object('code', 'other_code', 'field', 'f')`),
    [{ code: "made_up", status: 409 }, { code: "other_code", status: 422 }],
  );
  assert.deepEqual(tsCodes(`throw new HttpError("made_up", "m")`), ["made_up"]);
});

Deno.test("error catalogue: every SQL hint is catalogued with its SQLSTATE's status", async () => {
  const problems: string[] = [];
  let seen = 0;
  for (const file of await filesUnder("supabase/migrations/", ".sql")) {
    for (const { code, status } of sqlCodes(await Deno.readTextFile(file))) {
      seen++;
      const name = file.pathname.split("/").at(-1);
      if (!isErrorCode(code)) problems.push(`${name}: ${code} is not in the catalogue`);
      else if (errorCodes[code].status !== status) {
        problems.push(
          `${name}: ${code} raised as ${status}, catalogued ${errorCodes[code].status}`,
        );
      }
    }
  }
  assert.ok(seen >= 60, `only ${seen} SQL codes found: is the scan broken?`);
  assert.deepEqual(problems, []);
  for (const [state, code] of Object.entries(customSqlStates)) {
    assert.equal(errorCodes[code].status, Number(state.slice(2)), state);
  }
});

Deno.test("error catalogue: every code TypeScript throws is catalogued", async () => {
  const problems: string[] = [];
  let seen = 0;
  for (const dir of ["shared/", "supabase/functions/"]) {
    for (const file of await filesUnder(dir, ".ts")) {
      for (const code of tsCodes(await Deno.readTextFile(file))) {
        seen++;
        if (!isErrorCode(code)) problems.push(`${file.pathname}: ${code}`);
      }
    }
  }
  assert.ok(seen >= 20, `only ${seen} thrown codes found: is the scan broken?`);
  assert.deepEqual(problems, []);
});

Deno.test("error catalogue: the README's error table is the catalogue", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", root));
  const rows = [...readme.matchAll(/^\| `([a-z_]+)` +\| (\d{3}) +\| (.+?) +\|$/gm)]
    .map((m) => ({ code: m[1], status: Number(m[2]), meaning: m[3] }));
  const expected = Object.entries(errorCodes).map(([code, info]) => ({
    code,
    status: info.status,
    meaning: info.meaning,
  }));
  assert.deepEqual(rows, expected, "README error table differs: regenerate it from the catalogue");
});
