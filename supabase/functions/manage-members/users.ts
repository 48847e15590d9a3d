// The user lifecycle of the admin console: list people (RLS: admins all, members their
// co-members), invite a new one through Supabase Auth's admin API, suspend and reactivate.
// A suspended user's tokens lose access through the RLS helpers at once; Auth is also told to
// ban them so that no new session can start.
import { inviteByEmail, setAuthBan } from "../../../shared/auth/auth-admin.ts";
import { HttpError } from "../../../shared/core/errors.ts";
import type { Tx } from "../../../shared/db/db.ts";
import { userRoutes } from "../../../shared/http/context.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { body, params, query } from "../../../shared/http/input.ts";
import {
  directoryQuery,
  pageFrom,
  userInvite,
  userParam,
  userPatch,
} from "../../../shared/validation.ts";
import { responses } from "../../../shared/validation/responses.ts";
import { likePattern } from "./clients.ts";

const columns = (tx: Tx) =>
  tx`u.id, u.email, u.name, u.role, u.status, u.created_at, u.updated_at, u.last_login`;

export const users = userRoutes()
  .get(
    "/users",
    describe({ summary: "List people, newest first", ok: [200, responses.users] }),
    query(directoryQuery),
    async (c) => {
      const q = c.req.valid("query");
      const like = q.q ? likePattern(q.q) : null;
      const rows = await c.var.db((tx) =>
        tx`select ${columns(tx)} from public.users u
         where true
           ${q.status ? tx`and u.status = ${q.status}` : tx``}
           ${like ? tx`and (u.email ilike ${like} or u.name ilike ${like})` : tx``}
           ${
          q.cursor
            ? tx`and (u.created_at, u.id) < (${q.cursor[0]}::text::timestamptz, ${
              q.cursor[1]
            }::uuid)`
            : tx``
        }
         order by u.created_at desc, u.id desc
         limit ${q.limit + 1}`
      );
      return c.json(pageFrom(rows, q.limit, (r) => [r.created_at, r.id], (r) => r));
    },
  )
  .post(
    "/users/invitations",
    describe({
      summary: "Invite a new platform user through Supabase Auth (admins)",
      ok: [201, responses.user],
      refusals: [403, 409, 502],
    }),
    body(userInvite),
    async (c) => {
      const { email, name } = c.req.valid("json");
      // The database decides whether the caller may; only then is Auth asked.
      await c.var.db((tx) => tx`select public.assert_platform_admin()`);
      const outcome = await inviteByEmail(email, name ? { name } : {});
      if (outcome === "has_account") {
        throw new HttpError("user_exists", `${email} already has an account`);
      }
      const [user] = await c.var.db((tx) =>
        tx`select ${columns(tx)} from public.users u where u.email = ${email}`
      );
      return c.json({ user }, 201);
    },
  )
  .patch(
    "/users/:userId",
    describe({
      summary: "Suspend or reactivate a user (admins)",
      ok: [200, responses.user],
      refusals: [403, 404, 422],
    }),
    params(userParam),
    body(userPatch),
    async (c) => {
      const { userId } = c.req.valid("param");
      const { status } = c.req.valid("json");
      const user = await c.var.db(async (tx) => {
        const [{ row }] = await tx`select public.set_user_status(${userId}, ${status}) as row`;
        // Inside the transaction: if Auth cannot be told, the status change is rolled back.
        await setAuthBan(userId, status !== "active");
        return row;
      });
      return c.json({ user });
    },
  );
