// Invitations: owners and admins invite (the token is in this one answer only) and revoke;
// the invitee accepts. All rules live in public.create_invitation / revoke_invitation and
// private.accept_invitation (security definer, so kept out of the API-exposed schema). The
// invitee hears of it by e-mail (Auth invite) or in GET /me.
import type { Hono } from "hono";
import type { AppEnv } from "../../../shared/http.ts";
import { requireUser } from "../../../shared/auth.ts";
import { asUser } from "../../../shared/db.ts";
import { deliverInvitation } from "./delivery.ts";
import {
  clientParam,
  idParam,
  invitationAccept,
  invitationCreate,
  parse,
  parseBody,
} from "../../../shared/validation.ts";

export function invitationRoutes(app: Hono<AppEnv>): void {
  app.post("/clients/:clientId/invitations", async (c) => {
    const user = await requireUser(c.req.raw);
    const { clientId } = parse(clientParam, c.req.param(), "path");
    const body = await parseBody(c.req.raw, invitationCreate);
    const [{ invitation }] = await asUser(
      user.claims,
      (tx) =>
        tx`select public.create_invitation(${clientId}, ${body.email}, ${body.role}) as invitation`,
    );
    const { token, ...rest } = invitation as Record<string, unknown>;
    const notification = await deliverInvitation(body.email, c.get("requestId"));
    // Shown once: only its hash is stored, so it cannot be fetched again.
    return c.json({ invitation: rest, token, notification }, 201);
  });

  app.post("/invitations/accept", async (c) => {
    const user = await requireUser(c.req.raw);
    const body = await parseBody(c.req.raw, invitationAccept);
    const [{ member }] = await asUser(
      user.claims,
      (tx) => tx`select private.accept_invitation(${body.token}) as member`,
    );
    return c.json({ member }, 201);
  });

  app.delete("/invitations/:id", async (c) => {
    const user = await requireUser(c.req.raw);
    const { id } = parse(idParam, c.req.param(), "path");
    const [{ invitation }] = await asUser(
      user.claims,
      (tx) => tx`select public.revoke_invitation(${id}) as invitation`,
    );
    return c.json({ invitation });
  });
}
