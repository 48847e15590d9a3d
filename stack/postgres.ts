// The stack's own Postgres 15 cluster. Postgres refuses to run as root, so as root every
// server command runs as the `postgres` OS user, which must own the data directory.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { isRoot, pgBin } from "./packages.ts";
import type { StackPaths } from "./paths.ts";
import { supautilsConf } from "./supautils.ts";

/** Password of `postgres` (what the product uses) and `supabase_admin` (bootstrap only). */
export const dbPassword = "postgres";
/** The cluster's bootstrap superuser, as on hosted Supabase. */
export const adminRole = "supabase_admin";

function asPostgres(cmd: string, args: string[]): Deno.Command {
  return isRoot()
    ? new Deno.Command("runuser", {
      args: ["-u", "postgres", "--", cmd, ...args],
      stdout: "piped",
      stderr: "piped",
    })
    : new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" });
}

async function runAsPostgres(cmd: string, args: string[]): Promise<string> {
  const out = await asPostgres(cmd, args).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed:\n${text.slice(-3000)}`);
  return text;
}

async function chown(path: string): Promise<void> {
  if (!isRoot()) return;
  const out = await new Deno.Command("chown", { args: ["-R", "postgres:postgres", path] })
    .output();
  if (!out.success) throw new Error(`chown postgres ${path} failed`);
}

// A fresh clone under `mktemp -d` is mode 0700: the postgres user could not reach its data
// directory. Grant traverse (not read) permission on the ancestors that lack it.
async function letPostgresTraverse(path: string): Promise<void> {
  if (!isRoot()) return;
  const blocked: string[] = [];
  for (let dir = dirname(path); dir !== "/"; dir = dirname(dir)) {
    const probe = await new Deno.Command("runuser", {
      args: ["-u", "postgres", "--", "test", "-x", dir],
    }).output();
    if (!probe.success) blocked.push(dir);
  }
  for (const dir of blocked) {
    const mode = (await Deno.stat(dir)).mode ?? 0o700;
    await Deno.chmod(dir, mode | 0o001);
    console.log(`note: granted other-execute (traverse) on ${dir} so postgres can reach its data`);
  }
}

export async function initCluster(paths: StackPaths, port: number): Promise<void> {
  await Deno.mkdir(paths.logs, { recursive: true });
  await letPostgresTraverse(paths.pgdata);
  await Deno.mkdir(paths.pgdata, { recursive: true, mode: 0o700 });
  const pwfile = join(paths.dir, ".pwfile");
  await Deno.writeTextFile(pwfile, dbPassword + "\n");
  await chown(paths.pgdata);
  await chown(pwfile);
  await runAsPostgres(`${pgBin}/initdb`, [
    "-D",
    paths.pgdata,
    "-U",
    adminRole,
    "--auth-local=trust",
    "--auth-host=scram-sha-256",
    `--pwfile=${pwfile}`,
    "-E",
    "UTF8",
    "--locale=C.UTF-8",
  ]);
  await Deno.remove(pwfile);
  // Settings a Supabase project has that matter here: pg_cron preloaded and running in the
  // `postgres` database through background workers (no libpq login needed), UTC, and the
  // supautils configuration the local supautils stand-in enforces.
  const conf = [
    "",
    "# local stack settings",
    "listen_addresses = '127.0.0.1'",
    `port = ${port}`,
    "unix_socket_directories = ''",
    "max_connections = 200",
    "shared_preload_libraries = 'pg_cron'",
    "cron.database_name = 'postgres'",
    "cron.use_background_workers = on",
    "max_worker_processes = 32",
    "wal_level = logical",
    "timezone = 'UTC'",
    "log_timezone = 'UTC'",
    "log_min_messages = warning",
    "log_min_error_statement = panic",
    ...supautilsConf(),
    "",
  ].join("\n");
  await Deno.writeTextFile(join(paths.pgdata, "postgresql.conf"), conf, { append: true });
}

export function clusterExists(paths: StackPaths): boolean {
  return existsSync(join(paths.pgdata, "PG_VERSION"));
}

export async function startCluster(paths: StackPaths): Promise<void> {
  const log = join(paths.logs, "postgres.log");
  await Deno.mkdir(paths.logs, { recursive: true });
  if (!existsSync(log)) await Deno.writeTextFile(log, "");
  await chown(log);
  await runAsPostgres(`${pgBin}/pg_ctl`, [
    "-D",
    paths.pgdata,
    "-l",
    log,
    "-w",
    "-t",
    "60",
    "start",
  ]);
}

export async function clusterRunning(paths: StackPaths): Promise<boolean> {
  if (!clusterExists(paths)) return false;
  const out = await asPostgres(`${pgBin}/pg_ctl`, ["-D", paths.pgdata, "status"]).output();
  return out.success;
}

/** `immediate` is a crash: the next start runs crash recovery (unlogged tables come back empty). */
export async function stopCluster(
  paths: StackPaths,
  mode: "fast" | "immediate" = "fast",
): Promise<void> {
  if (!(await clusterRunning(paths))) return;
  await runAsPostgres(`${pgBin}/pg_ctl`, ["-D", paths.pgdata, "-m", mode, "-w", "stop"]);
}

/** As `postgres`, NOT a superuser: migrations, seed, functions (SUPABASE_DB_URL), tests. */
export function dbUrl(port: number): string {
  return `postgresql://postgres:${dbPassword}@127.0.0.1:${port}/postgres`;
}

/** As the superuser: the platform bootstrap and the pg_net worker stand-in only. */
export function adminDbUrl(port: number): string {
  return `postgresql://${adminRole}:${dbPassword}@127.0.0.1:${port}/postgres`;
}
