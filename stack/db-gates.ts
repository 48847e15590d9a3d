// Database gates of `deno task test`, run by the real Supabase CLI against the freshly pushed
// test stack, as postgres (the role hosted's advisors and linter see):
//   db lint      plpgsql_check over every function; any error fails.
//   db advisors  Supabase's splinter lints (security + performance); any WARN or ERROR on a
//                product object fails. INFO findings (unused indexes on a fresh database,
//                RLS-on-no-policy for server-only tables) are printed, not gated.
//   types        shared/types/database.ts is what @supabase/postgres-meta generates now.
// Each gate counts as one test in the suite's totals and prints its offending lines.
import { databaseTypesDrift } from "./database-types.ts";
import { repoRoot } from "./paths.ts";
import { ensureTool, supabaseCli } from "./tools.ts";

export interface GateResult {
  name: string;
  ok: boolean;
  /** What to show: the offending findings, or why the gate could not run. */
  lines: string[];
}

// Schemas that exist only locally and are not product objects: the supautils stand-in.
const notProduct = new Set(["supautils_local"]);

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = await ensureTool(supabaseCli);
  const out = await new Deno.Command(bin, {
    args: [...args, "--workdir", repoRoot],
    cwd: repoRoot,
    env: { SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

function parseJson<T>(text: string): T | null {
  const start = text.indexOf("[");
  if (start < 0) return null;
  try {
    return JSON.parse(text.slice(start)) as T;
  } catch {
    return null;
  }
}

interface LintIssue {
  level: string;
  message: string;
  statement?: { lineNumber: string; text: string };
  query?: { position: string; text: string };
  sqlState?: string;
}

export async function dbLint(dbUrl: string): Promise<GateResult> {
  const name = "supabase db lint (plpgsql_check): no error";
  const run = await cli([
    "db",
    "lint",
    "--db-url",
    `${dbUrl}?sslmode=disable`,
    "--level",
    "warning",
  ]);
  if (run.code !== 0) {
    return { name, ok: false, lines: [`exit ${run.code}`, ...run.stderr.trim().split("\n")] };
  }
  const results = parseJson<{ function: string; issues: LintIssue[] }[]>(run.stdout) ?? [];
  const lines: string[] = [];
  let errors = 0;
  for (const r of results) {
    for (const issue of r.issues) {
      if (issue.level.startsWith("error")) errors++;
      const where = issue.statement ? ` (line ${issue.statement.lineNumber})` : "";
      lines.push(`${issue.level.toUpperCase()} ${r.function}${where}: ${issue.message}`);
    }
  }
  if (results.length === 0 && run.stdout.trim() && !run.stdout.includes("[")) {
    lines.push(...run.stdout.trim().split("\n"));
  }
  return { name, ok: errors === 0, lines };
}

interface Advisory {
  name: string;
  level: string;
  detail: string;
  metadata?: { schema?: string; name?: string };
}

export async function dbAdvisors(dbUrl: string): Promise<GateResult> {
  const name = "supabase db advisors (splinter): no WARN/ERROR on product objects";
  const run = await cli([
    "db",
    "advisors",
    "--db-url",
    `${dbUrl}?sslmode=disable`,
    "--type",
    "all",
    "--level",
    "info",
    "-o",
    "json",
  ]);
  const findings = parseJson<Advisory[]>(run.stdout);
  if (findings === null && !/No issues found/.test(run.stdout + run.stderr)) {
    return { name, ok: false, lines: [`exit ${run.code}`, ...run.stderr.trim().split("\n")] };
  }
  const gated = (findings ?? []).filter((f) =>
    f.level !== "INFO" && !notProduct.has(f.metadata?.schema ?? "")
  );
  const info = (findings ?? []).filter((f) => f.level === "INFO");
  const byLint = new Map<string, number>();
  for (const f of info) byLint.set(f.name, (byLint.get(f.name) ?? 0) + 1);
  const lines = [
    ...gated.map((f) => `${f.level} ${f.name}: ${f.detail}`),
    ...[...byLint].map(([lint, n]) => `(info, not gated) ${lint}: ${n}`),
  ];
  return { name, ok: gated.length === 0, lines };
}

/** The committed shared/types/database.ts is what Supabase's generator makes from the schema. */
export async function databaseTypesCurrent(dbUrl: string): Promise<GateResult> {
  const name = "shared/types/database.ts matches postgres-meta's generated types";
  try {
    const drift = await databaseTypesDrift(dbUrl);
    return { name, ok: drift === null, lines: drift ? [drift] : [] };
  } catch (error) {
    return { name, ok: false, lines: [(error as Error).message] };
  }
}

export async function runDbGates(dbUrl: string): Promise<GateResult[]> {
  return [await dbLint(dbUrl), await dbAdvisors(dbUrl), await databaseTypesCurrent(dbUrl)];
}
