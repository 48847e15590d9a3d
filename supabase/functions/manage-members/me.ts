// GET /me: who the caller is (profile, platform role, memberships, pending invitations,
// capabilities), all decided by public.me() as the caller; and accepting one of those pending
// invitations by id, with no token to carry around.
import type { Hono } from "hono";
import type { AppEnv } from "../../../shared/http.ts";
import { requireUser } from "../../../shared/auth.ts";
import { asUser } from "../../../shared/db.ts";
import { idParam, parse } from "../../../shared/validation.ts";

export function meRoutes(app: Hono<AppEnv>): void {
  app.get("/me", async (c) => {
    const user = await requireUser(c.req.raw);
    const [{ me }] = await asUser(user.claims, (tx) => tx`select public.me() as me`);
    return c.json(me);
  });

  app.post("/invitations/:id/accept", async (c) => {
    const user = await requireUser(c.req.raw);
    const { id } = parse(idParam, c.req.param(), "path");
    const [{ member }] = await asUser(
      user.claims,
      (tx) => tx`select private.accept_invitation_by_id(${id}) as member`,
    );
    return c.json({ member }, 201);
  });
}
