// Boots, stops and describes one local stack instance: Postgres + platform bootstrap +
// migrations + seed, the pg_net worker, and the functions host (functions, Storage, JWKS).
import postgres from "postgres";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { installExtensions } from "./extensions/install.ts";
import { loadOrCreateKeys, mintAccessToken, publicJwks } from "./keys.ts";
import { applyBootstrap, pushMigrations, writeVaultSecrets } from "./migrate.ts";
import { geminiBaseUrl, geminiEnv, geminiFakeServiceEnv, usesGeminiFake } from "./gemini-env.ts";
import { installAuthSchema } from "./auth/install.ts";
import { ensurePackages } from "./packages.ts";
import { edgeDeno, ensureTool } from "./tools.ts";
import { repoRoot, stackPaths } from "./paths.ts";
import type { Instance, StackPaths } from "./paths.ts";
import {
  adminDbUrl,
  clusterExists,
  clusterRunning,
  dbUrl,
  initCluster,
  startCluster,
  stopCluster,
} from "./postgres.ts";
import { alive, delay, readPid, startService, stopService } from "./processes.ts";

export interface StackState {
  instance: Instance;
  dbPort: number;
  apiPort: number;
  /** As postgres (not a superuser), like hosted's SUPABASE_DB_URL. */
  dbUrl: string;
  /** As supabase_admin (superuser): bootstrap, the pg_net worker, tests that need it. */
  adminDbUrl: string;
  apiUrl: string;
  anonKey: string;
  serviceRoleKey: string;
  publishableKey: string;
  secretKey: string;
  jwks: { keys: JsonWebKey[] };
  /** Where the functions send Gemini calls (the local fake unless GEMINI_API_KEY is set). */
  geminiBaseUrl?: string;
}

// Only the dev instance claims Supabase CLI's well-known ports; others take free ones.
const defaultPorts: Record<string, { api: number; db: number }> = {
  dev: { api: 54321, db: 54322 },
};

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

async function pickPort(preferred: number): Promise<number> {
  if (preferred && await portFree(preferred)) return preferred;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

export function readState(instance: Instance): StackState | null {
  const file = stackPaths(instance).stateFile;
  return existsSync(file) ? JSON.parse(Deno.readTextFileSync(file)) : null;
}

export function envLines(state: StackState): string {
  return [
    `SUPABASE_URL=${state.apiUrl}`,
    `SUPABASE_ANON_KEY=${state.anonKey}`,
    `SUPABASE_SERVICE_ROLE_KEY=${state.serviceRoleKey}`,
    `SUPABASE_DB_URL=${state.dbUrl}`,
    `SUPABASE_PUBLISHABLE_KEY=${state.publishableKey}`,
    `SUPABASE_SECRET_KEY=${state.secretKey}`,
    ...(state.geminiBaseUrl ? [`GOOGLE_GEMINI_BASE_URL=${state.geminiBaseUrl}`] : []),
  ].join("\n") + "\n";
}

export function functionsEnv(paths: StackPaths, state: StackState): Record<string, string> {
  return {
    ...Deno.env.toObject(),
    PORT: String(state.apiPort),
    SUPABASE_URL: state.apiUrl,
    SUPABASE_DB_URL: state.dbUrl,
    SUPABASE_ANON_KEY: state.anonKey,
    SUPABASE_SERVICE_ROLE_KEY: state.serviceRoleKey,
    SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: state.publishableKey }),
    SUPABASE_SECRET_KEYS: JSON.stringify({ default: state.secretKey }),
    SUPABASE_JWKS: JSON.stringify(state.jwks),
    STACK_DIR: paths.dir,
    ...geminiEnv(paths),
  };
}

async function waitHttp(url: string, timeoutMs: number, running = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!running()) throw new Error(`the process serving ${url} exited (see its log)`);
    try {
      const res = await fetch(url);
      await res.body?.cancel();
      if (res.ok) return;
    } catch { /* not yet listening */ }
    await delay(100);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

export interface UpOptions {
  quiet?: boolean;
  /**
   * Run the fake Gemini as a stack service when this stack uses it (GEMINI_API_KEY unset):
   * `stack up` and `task start`. Test and bench runs bind the fake in their own process.
   */
  geminiFake?: boolean;
}

export async function up(instance: Instance, options: UpOptions = {}): Promise<StackState> {
  const log = options.quiet ? () => {} : (msg: string) => console.log(msg);
  const paths = stackPaths(instance);
  await ensurePackages();
  await ensureTool(edgeDeno);
  await installExtensions();
  await Deno.mkdir(paths.dir, { recursive: true });
  const previous = readState(instance);
  const fresh = !clusterExists(paths);
  const dbPort = previous?.dbPort ??
    await pickPort(defaultPorts[instance]?.db ?? 0);
  if (fresh) {
    log(`[stack:${instance}] creating Postgres cluster in ${paths.pgdata}`);
    await initCluster(paths, dbPort);
  }
  if (!(await clusterRunning(paths))) {
    log(`[stack:${instance}] starting Postgres on 127.0.0.1:${dbPort}`);
    await startCluster(paths);
  }
  const keys = await loadOrCreateKeys(paths.dir);
  const apiPort = previous?.apiPort ?? await pickPort(defaultPorts[instance]?.api ?? 0);
  const state: StackState = {
    instance,
    dbPort,
    apiPort,
    dbUrl: dbUrl(dbPort),
    adminDbUrl: adminDbUrl(dbPort),
    apiUrl: `http://127.0.0.1:${apiPort}`,
    anonKey: keys.anonKey,
    serviceRoleKey: keys.serviceRoleKey,
    publishableKey: keys.publishableKey,
    secretKey: keys.secretKey,
    jwks: publicJwks(keys),
    geminiBaseUrl: geminiBaseUrl(paths),
  };
  await Deno.writeTextFile(paths.stateFile, JSON.stringify(state, null, 2));
  await Deno.writeTextFile(paths.envFile, envLines(state));
  if (instance === "dev") {
    await Deno.writeTextFile(join(repoRoot, ".local", "stack.env"), envLines(state));
  }

  if (fresh) {
    log(`[stack:${instance}] applying the Supabase platform bootstrap (as supabase_admin)`);
    const admin = postgres(state.adminDbUrl, { max: 1, onnotice: () => {} });
    try {
      await applyBootstrap(admin);
    } finally {
      await admin.end();
    }
  }
  log(`[stack:${instance}] supabase db push --include-seed (as postgres)`);
  const pushStarted = performance.now();
  const push = await pushMigrations(state.dbUrl);
  for (const line of push.output.split("\n")) {
    if (/^(Applying|Seeding)/.test(line.trim())) log(`[stack:${instance}] ${line.trim()}`);
  }
  log(`[stack:${instance}] db push: ${((performance.now() - pushStarted) / 1000).toFixed(1)} s`);
  const sql = postgres(state.dbUrl, { max: 1, onnotice: () => {} });
  try {
    await writeVaultSecrets(sql, { project_url: state.apiUrl, secret_key: state.secretKey });
  } finally {
    await sql.end();
  }
  // Supabase Auth's own tables (sessions, refresh tokens, ...) for the Auth stand-in. On hosted
  // the platform creates them (Auth migrates itself as supabase_auth_admin), never a project
  // migration, so the platform's superuser lays them out here.
  const admin = postgres(state.adminDbUrl, { max: 1, onnotice: () => {} });
  try {
    await installAuthSchema(admin);
  } finally {
    await admin.end();
  }

  const env = functionsEnv(paths, state);
  if (options.geminiFake) await ensureGeminiFake(paths, log);
  if (!alive(readPid(paths, "pgnet"))) {
    // The real pg_net worker is a background worker of the server (superuser); so is this one.
    await startService(paths, "pgnet", { ...env, DATABASE_URL: state.adminDbUrl });
  }
  if (!alive(readPid(paths, "functions"))) {
    await startService(paths, "functions", env);
  }
  // On a fresh machine the functions' Deno 2.1 fetches their npm packages on first boot.
  await waitHttp(`${state.apiUrl}/health`, 180_000, () => alive(readPid(paths, "functions")));
  log(`[stack:${instance}] ready: API ${state.apiUrl}, DB ${state.dbUrl}`);
  return state;
}

// The same rule as `task start`: the fake answers unless GEMINI_API_KEY is set, and it is
// announced as a fake.
async function ensureGeminiFake(paths: StackPaths, log: (msg: string) => void): Promise<void> {
  if (!usesGeminiFake(paths)) {
    await stopService(paths, "gemini");
    log(`[stack:${paths.instance}] Gemini: ${geminiBaseUrl(paths)} (GEMINI_API_KEY is set)`);
    return;
  }
  if (!alive(readPid(paths, "gemini"))) {
    await startService(paths, "gemini", geminiFakeServiceEnv(paths));
    await waitHttp(`${geminiBaseUrl(paths)}/__fake/calls`, 30_000);
  }
  log(
    `[stack:${paths.instance}] Gemini: FAKE at ${geminiBaseUrl(paths)} ` +
      `(tests/fakes/gemini.ts, synthetic images; set GEMINI_API_KEY for Google)`,
  );
}

export async function down(instance: Instance): Promise<void> {
  const paths = stackPaths(instance);
  await stopService(paths, "gemini");
  await stopService(paths, "functions");
  await stopService(paths, "pgnet");
  await stopCluster(paths);
}

export async function reset(instance: Instance): Promise<void> {
  await down(instance);
  const paths = stackPaths(instance);
  if (existsSync(paths.dir)) await Deno.remove(paths.dir, { recursive: true });
}

export async function status(instance: Instance): Promise<Record<string, string>> {
  const paths = stackPaths(instance);
  const state = readState(instance);
  return {
    postgres: (await clusterRunning(paths)) ? `running on ${state?.dbPort}` : "stopped",
    functions: alive(readPid(paths, "functions")) ? `running on ${state?.apiUrl}` : "stopped",
    pgnet: alive(readPid(paths, "pgnet")) ? "running" : "stopped",
    ...(alive(readPid(paths, "gemini"))
      ? { gemini: `running (fake) on ${state?.geminiBaseUrl}` }
      : {}),
  };
}

export async function tokenFor(instance: Instance, email: string): Promise<string> {
  const state = readState(instance);
  if (!state) throw new Error(`the ${instance} stack has never been started: run stack up`);
  const sql = postgres(state.dbUrl, { max: 1 });
  try {
    const rows = await sql<{ id: string }[]>`select id from auth.users where email = ${email}`;
    if (rows.length === 0) throw new Error(`no user with email ${email}`);
    const keys = await loadOrCreateKeys(stackPaths(instance).dir);
    return await mintAccessToken(keys, {
      sub: rows[0].id,
      email,
      extraClaims: { iss: `${state.apiUrl}/auth/v1` },
    });
  } finally {
    await sql.end();
  }
}
