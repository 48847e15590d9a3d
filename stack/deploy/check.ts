// The deploy check: does what a user does to ship the functions and proves each would start.
// 1. the pinned Supabase CLI runs `--profile supabase-local functions deploy --use-api` from the
//    project folder with a dummy access token, against the Management API stand-in
//    (management-api.ts) on the profile's address, which records every upload;
// 2. each upload's metadata (name, entrypoint, import map, verify_jwt) must be what config.toml
//    and the CLI's own resolution rules say, the way the local functions host reads them too;
// 3. ONLY the uploaded files are laid out in an empty folder, Deno 2.1 resolves the
//    entrypoint's module graph with `--no-config` and only the uploaded import map, then boots
//    the function from those files and calls it once (uploaded-layout.ts, boot-probe.ts).
// Any missing file, unmapped specifier, boot error or metadata mismatch is a problem.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { loadOrCreateKeys, publicJwks } from "../keys.ts";
import { functionFiles, readFunctionSettings } from "../host/function-config.ts";
import { discoverFunctions } from "../host/function-loader.ts";
import { edgeDenoCommand } from "../host/function-workers.ts";
import { ensureTool, supabaseCli } from "../tools.ts";
import { bootAndProbe } from "./boot-probe.ts";
import { type FunctionUpload, startManagementApi } from "./management-api.ts";
import { graphProblems, layOut } from "./uploaded-layout.ts";

export interface FunctionCheck {
  name: string;
  /** Upload names of the files the CLI sent for this function, in upload order. */
  files: string[];
  metadata?: Record<string, unknown>;
  /** What the booted function answered to the probe. */
  answer?: string;
  problems: string[];
  /** The function's own output while it ran. */
  output: string[];
}

export interface DeployCheckReport {
  projectRef: string;
  functions: FunctionCheck[];
  /** Problems not tied to one function (the CLI failed, unexpected API calls, bulk update). */
  problems: string[];
  cliOutput: string;
}

export interface DeployCheckOptions {
  /** The project folder the CLI deploys from (holds supabase/). */
  projectDir: string;
  /** Deploy only these functions (default: every function folder, as the CLI does). */
  only?: string[];
  /** Extra arguments for `supabase functions deploy` (tests use them to break things). */
  cliArgs?: string[];
}

function randomProjectRef(): string {
  const letters = crypto.getRandomValues(new Uint8Array(20));
  return [...letters].map((b) => String.fromCharCode(97 + (b % 26))).join("");
}

function dummyAccessToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  return "sbp_" + [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function runCli(
  projectDir: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ ok: boolean; output: string }> {
  const cli = await ensureTool(supabaseCli);
  const out = await new Deno.Command(cli, {
    args,
    cwd: projectDir,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { ok: out.success, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
}

/** What a function sees on Supabase, with throwaway keys and nothing reachable behind them. */
async function functionEnv(scratch: string): Promise<Record<string, string>> {
  const keys = await loadOrCreateKeys(scratch);
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: scratch,
    SUPABASE_URL: "http://127.0.0.1:9",
    SUPABASE_DB_URL: "postgresql://postgres:postgres@127.0.0.1:9/postgres",
    SUPABASE_ANON_KEY: keys.anonKey,
    SUPABASE_SERVICE_ROLE_KEY: keys.serviceRoleKey,
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: keys.publishableKey }),
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: keys.secretKey }),
    SUPABASE_JWKS: JSON.stringify(publicJwks(keys)),
  };
}

function metadataProblems(
  upload: FunctionUpload,
  name: string,
  expected: { entrypoint: string; importMap: string; verifyJwt: boolean },
): string[] {
  const problems: string[] = [];
  const meta = upload.metadata;
  const differs = (field: string, have: unknown, want: unknown) => {
    if (have !== want) {
      problems.push(
        `uploaded metadata ${field} is ${JSON.stringify(have)}, config.toml says ` +
          JSON.stringify(want),
      );
    }
  };
  differs("name", meta.name, name);
  differs("entrypoint_path", meta.entrypoint_path, expected.entrypoint);
  differs("import_map_path", meta.import_map_path ?? "", expected.importMap);
  differs("verify_jwt", meta.verify_jwt, expected.verifyJwt);
  const uploaded = new Set(upload.files.map((f) => f.name));
  for (const file of [expected.entrypoint, expected.importMap].filter(Boolean)) {
    if (!uploaded.has(file)) problems.push(`missing file: ${file} was not uploaded`);
  }
  return problems;
}

function bulkUpdateProblems(
  uploads: FunctionUpload[],
  bulkUpdates: { id?: string }[][],
): string[] {
  if (uploads.length <= 1) {
    return bulkUpdates.length ? ["the CLI sent a bulk update for a single function"] : [];
  }
  const problems: string[] = [];
  if (uploads.some((u) => !u.bundleOnly)) {
    problems.push("several functions were uploaded without bundleOnly=true");
  }
  if (bulkUpdates.length !== 1) {
    problems.push(`expected one bulk PUT …/functions, saw ${bulkUpdates.length}`);
    return problems;
  }
  const activated = bulkUpdates[0].map((item) => item.id).sort();
  const deployed = uploads.map((u) => u.record.id).sort();
  if (JSON.stringify(activated) !== JSON.stringify(deployed)) {
    problems.push("the bulk update does not activate exactly the uploaded functions");
  }
  return problems;
}

export async function runDeployCheck(options: DeployCheckOptions): Promise<DeployCheckReport> {
  const { projectDir } = options;
  const supabaseDir = join(projectDir, "supabase");
  const settingsOf = await readFunctionSettings(join(supabaseDir, "config.toml"));
  const names = (await discoverFunctions(pathToFileURL(join(supabaseDir, "functions") + "/")))
    .filter((name) => settingsOf(name).enabled)
    .filter((name) => !options.only || options.only.includes(name));
  const deno = await edgeDenoCommand();
  const projectRef = randomProjectRef();
  const accessToken = dummyAccessToken();
  const scratch = await Deno.makeTempDir({ prefix: "deploy-check-" });
  const report: DeployCheckReport = { projectRef, functions: [], problems: [], cliOutput: "" };
  try {
    const api = await startManagementApi({ projectRef, accessToken });
    let cli: { ok: boolean; output: string };
    try {
      cli = await runCli(projectDir, [
        "--profile",
        "supabase-local",
        "functions",
        "deploy",
        ...(options.only ?? []),
        "--use-api",
        "--project-ref",
        projectRef,
        ...(options.cliArgs ?? []),
      ], {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: scratch,
        SUPABASE_ACCESS_TOKEN: accessToken,
        NO_COLOR: "1",
      });
    } finally {
      await api.close();
    }
    report.cliOutput = cli.output;
    const { uploads, bulkUpdates, unexpected } = api.recording;
    if (!cli.ok) report.problems.push(`supabase functions deploy failed:\n${cli.output.trim()}`);
    for (const request of unexpected) report.problems.push(`unexpected API request: ${request}`);
    report.problems.push(...bulkUpdateProblems(uploads, bulkUpdates));
    for (const upload of uploads) {
      if (!names.includes(upload.slug)) {
        report.problems.push(`uploaded ${upload.slug}, which is not an enabled function folder`);
      }
    }

    const env = await functionEnv(scratch);
    report.functions = await Promise.all(names.map(async (name): Promise<FunctionCheck> => {
      const mine = uploads.filter((u) => u.slug === name);
      const check: FunctionCheck = { name, files: [], problems: [], output: [] };
      if (mine.length !== 1) {
        check.problems.push(`uploaded ${mine.length} times, expected once`);
        if (mine.length === 0) return check;
      }
      const upload = mine[mine.length - 1];
      const settings = settingsOf(name);
      const expected = {
        ...functionFiles(projectDir, name, settings),
        verifyJwt: settings.verifyJwt,
      };
      check.files = upload.files.map((f) => f.name);
      check.metadata = upload.metadata;
      check.problems.push(...metadataProblems(upload, name, expected));
      const dir = join(scratch, "uploaded", name);
      await Deno.mkdir(dir, { recursive: true });
      check.problems.push(...await layOut(upload.files, dir));
      const entrypoint = String(upload.metadata.entrypoint_path ?? "");
      const importMap = String(upload.metadata.import_map_path ?? "");
      check.problems.push(...await graphProblems(deno, dir, entrypoint, importMap));
      const probe = await bootAndProbe(deno, dir, name, { entrypoint, importMap }, env);
      check.answer = probe.answer;
      check.problems.push(...probe.problems);
      check.output = probe.output;
      return check;
    }));
    return report;
  } finally {
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }
}
