// Comments on a ticket. Internal notes: RLS lets only admins write and read them.
import { userRoutes } from "../../../shared/http/context.ts";
import { body, params } from "../../../shared/http/input.ts";
import { commentCreate, idParam } from "../../../shared/validation.ts";

export const comments = userRoutes()
  .post("/:id/comments", params(idParam), body(commentCreate), async (c) => {
    const { id } = c.req.valid("param");
    const b = c.req.valid("json");
    const [comment] = await c.var.db((tx) =>
      tx`insert into public.ticket_comments (ticket_id, body, is_internal)
         values (${id}, ${b.body}, ${b.is_internal ?? false})
         returning id, ticket_id, author_id, body, is_internal, created_at`
    );
    return c.json({ comment }, 201);
  });
