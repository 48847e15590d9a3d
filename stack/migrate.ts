// Applies SQL to the local stack the way a hosted project gets it: the platform bootstrap once
// on a fresh cluster, as the superuser (what Supabase's image does before a project exists),
// then the project's migrations and seed through the real Supabase CLI's `db push`,
// connecting as `postgres`, which is not a superuser. The CLI keeps its own history in
// supabase_migrations.schema_migrations (and seed_files), exactly as on a hosted project.
import postgres from "postgres";
import { join } from "node:path";
import { repoRoot } from "./paths.ts";
import { dbPassword } from "./postgres.ts";
import { ensureTool, supabaseCli } from "./tools.ts";

type Sql = ReturnType<typeof postgres>;

async function sqlFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name.endsWith(".sql")) names.push(entry.name);
  }
  return names.sort().map((name) => join(dir, name));
}

async function runFile(sql: Sql, file: string): Promise<void> {
  const text = await Deno.readTextFile(file);
  try {
    await sql.begin((tx) => tx.unsafe(text));
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
}

/** Runs stack/bootstrap/*.sql; `admin` must be a supabase_admin (superuser) connection. */
export async function applyBootstrap(admin: Sql): Promise<void> {
  for (const file of await sqlFiles(join(repoRoot, "stack", "bootstrap"))) {
    await runFile(admin, file);
  }
  await admin.unsafe(`alter role postgres password '${dbPassword.replaceAll("'", "''")}'`);
}

export interface PushResult {
  /** What the CLI printed (migrations applied, seed files). */
  output: string;
}

/**
 * `supabase db push --include-seed` against the stack, as postgres. The CLI applies every
 * migration not in its history, each in one transaction, then seeds once per seed file (it
 * remembers each file's hash in supabase_migrations.seed_files).
 */
export async function pushMigrations(dbUrl: string): Promise<PushResult> {
  const cli = await ensureTool(supabaseCli);
  const out = await new Deno.Command(cli, {
    args: [
      "db",
      "push",
      "--db-url",
      `${dbUrl}?sslmode=disable`,
      "--include-seed",
      "--yes",
      "--workdir",
      repoRoot,
    ],
    cwd: repoRoot,
    env: { SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const output = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`supabase db push failed:\n${output.slice(-6000)}`);
  return { output };
}

// The pg_net chain reads the functions' base URL and the service key from Vault, as on a
// hosted project, so the SQL that calls net.http_post is identical in both places. Written as
// postgres, with the Vault rights hosted gives it.
export async function writeVaultSecrets(sql: Sql, secrets: Record<string, string>): Promise<void> {
  for (const [name, value] of Object.entries(secrets)) {
    await sql`
      select case
        when exists (select 1 from vault.secrets where name = ${name})
        then (select vault.update_secret(id, ${value}) from vault.secrets where name = ${name})::text
        else vault.create_secret(${value}, ${name})::text
      end`;
  }
}
