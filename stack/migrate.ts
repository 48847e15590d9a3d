// Applies SQL to the local stack the way the Supabase CLI does: the platform bootstrap once on
// a fresh cluster, then every migration not yet recorded in
// supabase_migrations.schema_migrations (one transaction each), then the seed.
import postgres from "postgres";
import { basename, join } from "node:path";
import { repoRoot } from "./paths.ts";

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

export async function applyBootstrap(sql: Sql): Promise<void> {
  for (const file of await sqlFiles(join(repoRoot, "stack", "bootstrap"))) {
    await runFile(sql, file);
  }
}

export async function applyMigrations(sql: Sql): Promise<string[]> {
  const rows = await sql<{ version: string }[]>`
    select version from supabase_migrations.schema_migrations`;
  const done = new Set(rows.map((r) => r.version));
  const applied: string[] = [];
  for (const file of await sqlFiles(join(repoRoot, "supabase", "migrations"))) {
    const name = basename(file, ".sql");
    const [version, ...rest] = name.split("_");
    if (done.has(version)) continue;
    const text = await Deno.readTextFile(file);
    try {
      await sql.begin(async (tx) => {
        await tx.unsafe(text);
        await tx`
          insert into supabase_migrations.schema_migrations (version, name, statements)
          values (${version}, ${rest.join("_")}, ${[text]})`;
      });
    } catch (error) {
      throw new Error(`migration ${basename(file)}: ${(error as Error).message}`);
    }
    applied.push(basename(file));
  }
  return applied;
}

export async function applySeed(sql: Sql): Promise<void> {
  await runFile(sql, join(repoRoot, "supabase", "seed.sql"));
}

// The pg_net chain reads the functions' base URL and the service key from Vault, as on a
// hosted project, so the SQL that calls net.http_post is identical in both places.
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
