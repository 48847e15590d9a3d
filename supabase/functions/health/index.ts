// Liveness of the whole path a user request takes: gateway, JWT check, database as that user.
import { createApp } from "../../../shared/http.ts";
import { requireUser } from "../../../shared/auth.ts";
import { asUser } from "../../../shared/db.ts";

const app = createApp("health");

app.get("/", async (c) => {
  const user = await requireUser(c.req.raw);
  const [row] = await asUser(
    user.claims,
    (tx) => tx<{ uid: string; role: string }[]>`select auth.uid() as uid, current_user as role`,
  );
  return c.json({ ok: true, user_id: row.uid, db_role: row.role });
});

Deno.serve(app.fetch);
