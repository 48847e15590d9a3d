// Invitations: owners and admins invite (the token is in this one answer only) and revoke;
// the invitee accepts. All rules live in public.create_invitation / revoke_invitation and
// private.accept_invitation (security definer, so kept out of the API-exposed schema). The
// invitee hears of it by e-mail (Auth invite) or in GET /me.
import { userRoutes } from "../../../shared/http/context.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { body, params } from "../../../shared/http/input.ts";
import {
  clientParam,
  idParam,
  invitationAccept,
  invitationCreate,
} from "../../../shared/validation.ts";
import { responses } from "../../../shared/validation/responses.ts";
import { deliverInvitation } from "./delivery.ts";

export const invitations = userRoutes()
  .post(
    "/clients/:clientId/invitations",
    describe({
      summary: "Invite someone to a client (owners, admins)",
      ok: [201, responses.invitationCreated],
      refusals: [403, 404, 409],
    }),
    params(clientParam),
    body(invitationCreate),
    async (c) => {
      const { clientId } = c.req.valid("param");
      const { email, role } = c.req.valid("json");
      const [{ invitation }] = await c.var.db((tx) =>
        tx`select public.create_invitation(${clientId}, ${email}, ${role}) as invitation`
      );
      const { token, ...rest } = invitation as Record<string, unknown>;
      const notification = await deliverInvitation(email, c.var.requestId);
      // Shown once: only its hash is stored, so it cannot be fetched again.
      return c.json({ invitation: rest, token, notification }, 201);
    },
  )
  .post(
    "/invitations/accept",
    describe({
      summary: "Accept an invitation by its token",
      ok: [201, responses.member],
      refusals: [403, 404, 409, 422],
    }),
    body(invitationAccept),
    async (c) => {
      const { token } = c.req.valid("json");
      const [{ member }] = await c.var.db((tx) =>
        tx`select private.accept_invitation(${token}) as member`
      );
      return c.json({ member }, 201);
    },
  )
  .delete(
    "/invitations/:id",
    describe({
      summary: "Revoke an invitation (owners, admins)",
      ok: [200, responses.invitation],
      refusals: [403, 404, 409],
    }),
    params(idParam),
    async (c) => {
      const { id } = c.req.valid("param");
      const [{ invitation }] = await c.var.db((tx) =>
        tx`select public.revoke_invitation(${id}) as invitation`
      );
      return c.json({ invitation });
    },
  );
