// Clusters created before the realtime bootstrap existed lack Realtime's schema (hosted
// projects always have it): apply stack/bootstrap/06_realtime.sql once, before migrations
// that add policies to realtime.messages.
import type postgres from "postgres";
import { join } from "node:path";
import { repoRoot } from "../paths.ts";

export async function ensureRealtimeSchema(sql: postgres.Sql): Promise<boolean> {
  const [row] = await sql<{ present: boolean }[]>`
    select to_regclass('realtime.messages') is not null as present`;
  if (row.present) return false;
  const file = join(repoRoot, "stack", "bootstrap", "06_realtime.sql");
  await sql.begin((tx) => tx.unsafe(Deno.readTextFileSync(file)));
  return true;
}
