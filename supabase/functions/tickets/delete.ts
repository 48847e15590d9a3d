// DELETE /:id (admins, by RLS): deletes the ticket with its comments, history and attachment
// rows (cascade) in one transaction, then removes the attachments' objects through Storage as
// the caller. Objects whose removal fails stay readable by admins only (no row names them)
// and are answered as files_left.
import { log } from "../../../shared/core/log.ts";
import { userRoutes } from "../../../shared/http/context.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { params } from "../../../shared/http/input.ts";
import { refuse } from "../../../shared/http/refusal.ts";
import { removeAsUser } from "../../../shared/storage/ticket-attachments.ts";
import { idParam } from "../../../shared/validation.ts";
import { responses } from "../../../shared/validation/responses.ts";

export const deletion = userRoutes()
  .delete(
    "/:id",
    describe({
      summary: "Delete a ticket with its files",
      ok: [200, responses.ticketDeleted],
      refusals: [403, 404],
    }),
    params(idParam),
    async (c) => {
      const { id } = c.req.valid("param");
      const paths = await c.var.db(async (tx) => {
        const files = await tx<{ object_path: string }[]>`
        select object_path from public.ticket_attachments where ticket_id = ${id}`;
        const deleted = await tx`delete from public.support_tickets where id = ${id} returning id`;
        if (deleted.length === 0) {
          refuse("ticket", await tx`select 1 from public.support_tickets where id = ${id}`);
        }
        return files.map((f) => f.object_path);
      });
      let removed = 0;
      let left: string[] = [];
      if (paths.length > 0) {
        try {
          removed = (await removeAsUser(c.var.user.token, paths)).length;
        } catch (error) {
          left = paths;
          log("error", "attachment removal failed", {
            request_id: c.var.requestId,
            ticket_id: id,
            error: String(error),
          });
        }
      }
      return c.json({ ticket: { id }, files_removed: removed, files_left: left });
    },
  );
