// Installs the local stand-ins for Supabase's managed extensions (pg_net, supabase_vault) into
// the Postgres installation, so migrations can say `create extension pg_net` unchanged. Files
// are only written when missing or different, which keeps repeated stack starts cheap.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const extensions = ["pg_net", "supabase_vault"];
const fallbackPgConfig = "/usr/lib/postgresql/15/bin/pg_config";

async function sharedir(): Promise<string> {
  const candidates = [Deno.env.get("PG_CONFIG"), "pg_config", fallbackPgConfig]
    .filter((c): c is string => !!c);
  for (const pgConfig of candidates) {
    try {
      const out = await new Deno.Command(pgConfig, { args: ["--sharedir"], stderr: "null" })
        .output();
      if (out.success) return new TextDecoder().decode(out.stdout).trim();
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  throw new Error(
    `pg_config not found (tried ${candidates.join(", ")}); install postgresql-15 or set PG_CONFIG`,
  );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function readIfExists(path: string): Promise<Uint8Array | null> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

export async function installExtensions(): Promise<void> {
  const here = dirname(fileURLToPath(import.meta.url));
  const target = join(await sharedir(), "extension");
  if (!existsSync(target)) throw new Error(`Postgres extension directory ${target} is missing`);
  const sources = extensions.map((name) => join(here, name));

  for (const source of sources) {
    for await (const entry of Deno.readDir(source)) {
      if (!entry.isFile) continue;
      const wanted = await Deno.readFile(join(source, entry.name));
      const dest = join(target, entry.name);
      const current = await readIfExists(dest);
      if (current && sameBytes(current, wanted)) continue;
      // Write beside the destination and rename, so Postgres never reads a half-written file.
      const temp = `${dest}.tmp-${Deno.pid}`;
      try {
        await Deno.writeFile(temp, wanted, { mode: 0o644 });
        await Deno.rename(temp, dest);
      } catch (err) {
        if (err instanceof Deno.errors.PermissionDenied) {
          throw new Error(
            `cannot write ${dest} (not root and ${target} is not writable). ` +
              `Copy the local extension stand-ins once as root: ` +
              `sudo cp ${sources.map((s) => `${s}/*`).join(" ")} ${target}/`,
          );
        }
        throw err;
      }
    }
  }
}

if (import.meta.main) await installExtensions();
