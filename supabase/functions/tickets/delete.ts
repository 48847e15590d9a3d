// DELETE /:id (admins, by RLS): deletes the ticket with its comments, history and attachment
// rows (cascade) in one transaction, then removes the attachments' objects through Storage as
// the caller. Objects whose removal fails stay readable by admins only (no row names them)
// and are reported as files_left.
import type { Hono } from "hono";
import { extractCredentials } from "@supabase/server/core";
import type { AppEnv } from "../../../shared/http.ts";
import { log } from "../../../shared/http.ts";
import { requireUser } from "../../../shared/auth.ts";
import { asUser } from "../../../shared/db.ts";
import { idParam, parse } from "../../../shared/validation.ts";
import { refusal } from "../../../shared/refusal.ts";
import { removeAsUser } from "../../../shared/ticket-attachments-storage.ts";

export function deleteRoutes(app: Hono<AppEnv>): void {
  app.delete("/:id", async (c) => {
    const user = await requireUser(c.req.raw);
    const { id } = parse(idParam, c.req.param(), "path");
    const paths = await asUser(user.claims, async (tx) => {
      const files = await tx<{ object_path: string }[]>`
        select object_path from public.ticket_attachments where ticket_id = ${id}`;
      const deleted = await tx`delete from public.support_tickets where id = ${id} returning id`;
      if (deleted.length === 0) {
        const [seen] = await tx`select 1 from public.support_tickets where id = ${id}`;
        throw refusal(Boolean(seen), "ticket");
      }
      return files.map((f) => f.object_path);
    });
    let removed = 0;
    let left: string[] = [];
    if (paths.length > 0) {
      try {
        removed = (await removeAsUser(extractCredentials(c.req.raw).token ?? "", paths)).length;
      } catch (error) {
        left = paths;
        log("error", "attachment removal failed", {
          request_id: c.get("requestId"),
          ticket_id: id,
          error: String(error),
        });
      }
    }
    return c.json({ ticket: { id }, files_removed: removed, files_left: left });
  });
}
