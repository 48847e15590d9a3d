// Members of a client: list (members and admins), change a role, remove or leave (owners and
// admins; anyone for themselves). The last-owner rule and the audit trail are triggers.
import { HttpError } from "../../../shared/core/errors.ts";
import type { Tx } from "../../../shared/db/db.ts";
import { userRoutes } from "../../../shared/http/context.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { body, params } from "../../../shared/http/input.ts";
import { refuse } from "../../../shared/http/refusal.ts";
import { clientParam, memberParam, memberPatch } from "../../../shared/validation.ts";
import { responses } from "../../../shared/validation/responses.ts";

const membership = (tx: Tx, clientId: string, userId: string) =>
  tx`select 1 from public.client_members where client_id = ${clientId} and user_id = ${userId}`;

export const members = userRoutes()
  .get(
    "/clients/:clientId/members",
    describe({
      summary: "A client's members and pending invitations",
      ok: [200, responses.members],
      refusals: [404],
    }),
    params(clientParam),
    async (c) => {
      const { clientId } = c.req.valid("param");
      const result = await c.var.db(async (tx) => {
        const [client] = await tx`select id, name from public.clients where id = ${clientId}`;
        if (!client) throw new HttpError("client_not_found", "No such client");
        const members = await tx`
        select cm.user_id, u.name, u.email, cm.role, cm.created_at
        from public.client_members cm join public.users u on u.id = cm.user_id
        where cm.client_id = ${clientId}
        order by cm.created_at, cm.user_id`;
        const invitations = await tx`
        select id, email, role, invited_by, expires_at, created_at
        from public.client_invitations
        where client_id = ${clientId} and accepted_at is null and revoked_at is null
          and expires_at > now()
        order by created_at, id`;
        return { client, members, invitations };
      });
      return c.json(result);
    },
  )
  .patch(
    "/clients/:clientId/members/:userId",
    describe({
      summary: "Change a member's role (owners, admins)",
      ok: [200, responses.member],
      refusals: [403, 404, 422],
    }),
    params(memberParam),
    body(memberPatch),
    async (c) => {
      const { clientId, userId } = c.req.valid("param");
      const { role } = c.req.valid("json");
      const member = await c.var.db(async (tx) => {
        const [row] = await tx`update public.client_members set role = ${role}
          where client_id = ${clientId} and user_id = ${userId}
          returning client_id, user_id, role, updated_at`;
        return row ?? refuse("membership", await membership(tx, clientId, userId));
      });
      return c.json({ member });
    },
  )
  .delete(
    "/clients/:clientId/members/:userId",
    describe({
      summary: "Remove a member, or leave",
      ok: [200, responses.removed],
      refusals: [403, 404, 422],
    }),
    params(memberParam),
    async (c) => {
      const { clientId, userId } = c.req.valid("param");
      const member = await c.var.db(async (tx) => {
        const [row] = await tx`delete from public.client_members
        where client_id = ${clientId} and user_id = ${userId}
        returning client_id, user_id, role`;
        return row ?? refuse("membership", await membership(tx, clientId, userId));
      });
      return c.json({ removed: member });
    },
  );
