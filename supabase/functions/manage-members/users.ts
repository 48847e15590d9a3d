// The user lifecycle of the admin console: list people (RLS: admins all, members their
// co-members), invite a new one through Supabase Auth's admin API, suspend and reactivate.
// A suspended user's tokens lose access through the RLS helpers at once; Auth is also told to
// ban them so that no new session can start.
import type { Hono } from "hono";
import type { AppEnv } from "../../../shared/http.ts";
import { HttpError } from "../../../shared/http.ts";
import { requireUser } from "../../../shared/auth.ts";
import { asUser, type Tx } from "../../../shared/db.ts";
import { inviteByEmail, setAuthBan } from "../../../shared/auth-admin.ts";
import {
  directoryQuery,
  encodePageCursor,
  parse,
  parseBody,
  parseQuery,
  userInvite,
  userParam,
  userPatch,
} from "../../../shared/validation.ts";

const columns = (tx: Tx) =>
  tx`u.id, u.email, u.name, u.role, u.status, to_json(u.created_at) #>> '{}' as created_at,
     u.updated_at, u.last_login`;

export function userRoutes(app: Hono<AppEnv>): void {
  app.get("/users", async (c) => {
    const user = await requireUser(c.req.raw);
    const q = parseQuery(c.req.raw, directoryQuery);
    const like = q.q ? `%${q.q.replace(/[\\%_]/g, "\\$&")}%` : null;
    const rows = await asUser(user.claims, (tx) =>
      tx`select ${columns(tx)} from public.users u
         where true
           ${q.status ? tx`and u.status = ${q.status}` : tx``}
           ${like ? tx`and (u.email ilike ${like} or u.name ilike ${like})` : tx``}
           ${
        q.cursor
          ? tx`and (u.created_at, u.id) < (${q.cursor.created_at}::text::timestamptz, ${q.cursor.id}::uuid)`
          : tx``
      }
         order by u.created_at desc, u.id desc
         limit ${q.limit + 1}`);
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return c.json({
      users: page,
      next_cursor: rows.length > q.limit && last
        ? encodePageCursor({ created_at: last.created_at, id: last.id })
        : null,
    });
  });

  app.post("/users/invitations", async (c) => {
    const user = await requireUser(c.req.raw);
    const body = await parseBody(c.req.raw, userInvite);
    // The database decides whether the caller may; only then is Auth asked.
    await asUser(user.claims, (tx) => tx`select public.assert_platform_admin()`);
    const outcome = await inviteByEmail(body.email, body.name ? { name: body.name } : {});
    if (outcome === "has_account") {
      throw new HttpError(409, "user_exists", `${body.email} already has an account`);
    }
    const [invited] = await asUser(
      user.claims,
      (tx) => tx`select ${columns(tx)} from public.users u where u.email = ${body.email}`,
    );
    return c.json({ user: invited }, 201);
  });

  app.patch("/users/:userId", async (c) => {
    const user = await requireUser(c.req.raw);
    const { userId } = parse(userParam, c.req.param(), "path");
    const body = await parseBody(c.req.raw, userPatch);
    const changed = await asUser(user.claims, async (tx) => {
      const [{ row }] = await tx`select public.set_user_status(${userId}, ${body.status}) as row`;
      // Inside the transaction: if Auth cannot be told, the status change is rolled back.
      await setAuthBan(userId, body.status !== "active");
      return row;
    });
    return c.json({ user: changed });
  });
}
