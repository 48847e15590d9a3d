// Comments on a ticket. Internal notes: RLS lets only admins write and read them.
import type { Hono } from "hono";
import type { AppEnv } from "../../../shared/http.ts";
import { requireUser } from "../../../shared/auth.ts";
import { asUser } from "../../../shared/db.ts";
import { commentCreate, idParam, parse, parseBody } from "../../../shared/validation.ts";

export function commentRoutes(app: Hono<AppEnv>): void {
  app.post("/:id/comments", async (c) => {
    const user = await requireUser(c.req.raw);
    const { id } = parse(idParam, c.req.param(), "path");
    const body = await parseBody(c.req.raw, commentCreate);
    const [comment] = await asUser(
      user.claims,
      (tx) =>
        tx`insert into public.ticket_comments (ticket_id, body, is_internal)
         values (${id}, ${body.body}, ${body.is_internal ?? false})
         returning id, ticket_id, author_id, body, is_internal, created_at`,
    );
    return c.json({ comment }, 201);
  });
}
