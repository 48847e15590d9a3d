// POST /:id/attachments: registers a file on the ticket (or on one of its comments) as the
// caller, then asks Storage, with the caller's own token, for a signed upload URL to the
// file's path. The client uploads the bytes straight to Storage with it
// (storage.from(bucket).uploadToSignedUrl(path, token, file)); the function never sees them.
// Who may attach what, the limits and the 20-per-ticket cap are the database's rules.
import type { Hono } from "hono";
import { extractCredentials } from "@supabase/server/core";
import type { AppEnv } from "../../../shared/http.ts";
import { HttpError, log } from "../../../shared/http.ts";
import { requireUser } from "../../../shared/auth.ts";
import { asUser } from "../../../shared/db.ts";
import { attachmentCreate, idParam, parse, parseBody } from "../../../shared/validation.ts";
import { signedUploadAsUser } from "../../../shared/ticket-attachments-storage.ts";

export const attachmentColumns = `id, ticket_id, comment_id, is_internal, uploaded_by,
  file_name, mime_type, size_bytes, object_path as path, created_at`;

export function attachmentRoutes(app: Hono<AppEnv>): void {
  app.post("/:id/attachments", async (c) => {
    const user = await requireUser(c.req.raw);
    const { id } = parse(idParam, c.req.param(), "path");
    const body = await parseBody(c.req.raw, attachmentCreate);
    const [attachment] = await asUser(user.claims, (tx) =>
      tx<{ path: string }[]>`
        insert into public.ticket_attachments
          (ticket_id, comment_id, is_internal, file_name, mime_type, size_bytes)
        values (${id}, ${body.comment_id ?? null}, ${body.is_internal ?? false},
                ${body.file_name}, ${body.mime_type}, ${body.size_bytes})
        returning ${tx.unsafe(attachmentColumns)}`);
    const signed = await signedUploadAsUser(
      extractCredentials(c.req.raw).token ?? "",
      attachment.path,
    );
    if ("error" in signed) {
      // The row stays: the same user can ask Storage for a new URL to its path at any time.
      log("error", "signed upload URL refused", {
        request_id: c.get("requestId"),
        error: signed.error,
      });
      throw new HttpError(502, "storage_unavailable", "Storage did not issue an upload URL", [
        { field: "path", message: attachment.path },
      ]);
    }
    return c.json({ attachment, upload: signed.upload }, 201);
  });
}
