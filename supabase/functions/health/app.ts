// Liveness of the whole path a user request takes: gateway, JWT check, database as that user.
import { functionApp } from "../../../shared/http/app.ts";
import { userRoutes } from "../../../shared/http/context.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { responses } from "../../../shared/validation/responses.ts";

const health = userRoutes().get(
  "/",
  describe({
    summary: "Proves the token and the as-the-user database path",
    ok: [200, responses.health],
  }),
  async (c) => {
    const [row] = await c.var.db((tx) =>
      tx<{ uid: string; role: string }[]>`select auth.uid() as uid, current_user as role`
    );
    return c.json({ ok: true, user_id: row.uid, db_role: row.role });
  },
);

export const app = functionApp("health", "user").route("/", health);
