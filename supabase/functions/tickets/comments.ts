// Comments on a ticket. Internal notes: RLS lets only admins write and read them.
import { userRoutes } from "../../../shared/http/context.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { body, params } from "../../../shared/http/input.ts";
import { commentCreate, idParam } from "../../../shared/validation.ts";
import { responses } from "../../../shared/validation/responses.ts";

export const comments = userRoutes()
  .post(
    "/:id/comments",
    describe({
      summary: "Comment on a ticket",
      ok: [201, responses.comment],
      refusals: [403, 404],
    }),
    params(idParam),
    body(commentCreate),
    async (c) => {
      const { id } = c.req.valid("param");
      const b = c.req.valid("json");
      const [comment] = await c.var.db((tx) =>
        tx`insert into public.ticket_comments (ticket_id, body, is_internal)
         values (${id}, ${b.body}, ${b.is_internal ?? false})
         returning id, ticket_id, author_id, body, is_internal, created_at`
      );
      return c.json({ comment }, 201);
    },
  );
