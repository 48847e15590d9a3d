// Members of a client: list (members and admins), change a role, remove or leave (owners and
// admins; anyone for themselves). The last-owner rule and the audit trail are triggers.
import type { Hono } from "hono";
import type { AppEnv } from "../../../shared/http.ts";
import { HttpError } from "../../../shared/http.ts";
import { requireUser } from "../../../shared/auth.ts";
import { asUser, type Tx } from "../../../shared/db.ts";
import {
  clientParam,
  memberParam,
  memberPatch,
  parse,
  parseBody,
} from "../../../shared/validation.ts";
import { refusal } from "../../../shared/refusal.ts";

async function membershipVisible(tx: Tx, clientId: string, userId: string): Promise<boolean> {
  const [seen] = await tx`select 1 from public.client_members
    where client_id = ${clientId} and user_id = ${userId}`;
  return Boolean(seen);
}

export function memberRoutes(app: Hono<AppEnv>): void {
  app.get("/clients/:clientId/members", async (c) => {
    const user = await requireUser(c.req.raw);
    const { clientId } = parse(clientParam, c.req.param(), "path");
    const result = await asUser(user.claims, async (tx) => {
      const [client] = await tx`select id, name from public.clients where id = ${clientId}`;
      if (!client) throw new HttpError(404, "client_not_found", "No such client");
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
  });

  app.patch("/clients/:clientId/members/:userId", async (c) => {
    const user = await requireUser(c.req.raw);
    const { clientId, userId } = parse(memberParam, c.req.param(), "path");
    const body = await parseBody(c.req.raw, memberPatch);
    const member = await asUser(user.claims, async (tx) => {
      const [row] = await tx`update public.client_members set role = ${body.role}
        where client_id = ${clientId} and user_id = ${userId}
        returning client_id, user_id, role, updated_at`;
      if (row) return row;
      throw refusal(await membershipVisible(tx, clientId, userId), "membership");
    });
    return c.json({ member });
  });

  app.delete("/clients/:clientId/members/:userId", async (c) => {
    const user = await requireUser(c.req.raw);
    const { clientId, userId } = parse(memberParam, c.req.param(), "path");
    const member = await asUser(user.claims, async (tx) => {
      const [row] = await tx`delete from public.client_members
        where client_id = ${clientId} and user_id = ${userId}
        returning client_id, user_id, role`;
      if (row) return row;
      throw refusal(await membershipVisible(tx, clientId, userId), "membership");
    });
    return c.json({ removed: member });
  });
}
