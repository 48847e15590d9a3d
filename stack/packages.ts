// Installs the Debian packages the local stack needs, so `deno task start|test` works on a
// fresh machine, and Debian's Chromium for the browser test (`deno task test` only). Only
// root can install; anyone else gets the exact command to run.
import { existsSync } from "node:fs";

export const pgBin = "/usr/lib/postgresql/15/bin";

export interface Requirement {
  pkg: string;
  present: () => boolean;
}

const extensionDir = "/usr/share/postgresql/15/extension";

const requirements: Requirement[] = [
  { pkg: "postgresql-15", present: () => existsSync(`${pgBin}/postgres`) },
  { pkg: "postgresql-15-cron", present: () => existsSync(`${extensionDir}/pg_cron.control`) },
  { pkg: "postgresql-15-pgtap", present: () => existsSync(`${extensionDir}/pgtap.control`) },
  // `supabase db lint` checks every plpgsql function with it.
  {
    pkg: "postgresql-15-plpgsql-check",
    present: () => existsSync(`${extensionDir}/plpgsql_check.control`),
  },
  { pkg: "libtap-parser-sourcehandler-pgtap-perl", present: () => existsSync("/usr/bin/pg_prove") },
];

/** Debian's Chromium, driven by playwright-core in tests/browser (no browser download). */
export const chromiumPath = "/usr/bin/chromium";
const browserRequirements: Requirement[] = [
  { pkg: "chromium", present: () => existsSync(chromiumPath) },
];

export function isRoot(): boolean {
  return Deno.uid() === 0;
}

async function run(cmd: string, args: string[], env?: Record<string, string>): Promise<void> {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr) || new TextDecoder().decode(out.stdout);
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${text.slice(-2000)}`);
  }
}

export async function ensurePackages(wanted: Requirement[] = requirements): Promise<void> {
  const missing = wanted.filter((r) => !r.present()).map((r) => r.pkg);
  if (missing.length === 0) return;
  if (!isRoot()) {
    throw new Error(
      `missing Debian packages: ${missing.join(" ")}\n` +
        `install them with: sudo apt-get install -y ${missing.join(" ")}`,
    );
  }
  console.log(`installing Debian packages: ${missing.join(" ")} …`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  await run("apt-get", ["update", "-qq"], env);
  await run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], env);
  const still = wanted.filter((r) => !r.present()).map((r) => r.pkg);
  if (still.length > 0) throw new Error(`packages still missing after install: ${still}`);
}

/** Installs Debian's chromium when missing (the browser test's only system dependency). */
export function ensureBrowser(): Promise<void> {
  return ensurePackages(browserRequirements);
}
