// POST /:id/attachments: registers a file on the ticket (or on one of its comments) as the
// caller, then asks Storage, with the caller's own token, for a signed upload URL to the
// file's path. The client uploads the bytes straight to Storage with it
// (storage.from(bucket).uploadToSignedUrl(path, token, file)); the function never sees them.
// Who may attach what, the limits and the 20-per-ticket cap are the database's rules.
import { HttpError } from "../../../shared/core/errors.ts";
import { log } from "../../../shared/core/log.ts";
import { userRoutes } from "../../../shared/http/context.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { body, params } from "../../../shared/http/input.ts";
import { signedUploadAsUser } from "../../../shared/storage/ticket-attachments.ts";
import { attachmentCreate, idParam } from "../../../shared/validation.ts";
import { responses } from "../../../shared/validation/responses.ts";

const attachmentColumns = `id, ticket_id, comment_id, is_internal, uploaded_by, file_name,
  mime_type, size_bytes, object_path as path, created_at`;

export const attachments = userRoutes()
  .post(
    "/:id/attachments",
    describe({
      summary: "Attach a file (answers a signed upload URL)",
      ok: [201, responses.attachment],
      refusals: [403, 404, 422, 502],
    }),
    params(idParam),
    body(attachmentCreate),
    async (c) => {
      const { id } = c.req.valid("param");
      const b = c.req.valid("json");
      const [attachment] = await c.var.db((tx) =>
        tx<{ path: string }[]>`
        insert into public.ticket_attachments
          (ticket_id, comment_id, is_internal, file_name, mime_type, size_bytes)
        values (${id}, ${b.comment_id ?? null}, ${b.is_internal ?? false},
                ${b.file_name}, ${b.mime_type}, ${b.size_bytes})
        returning ${tx.unsafe(attachmentColumns)}`
      );
      const signed = await signedUploadAsUser(c.var.user.token, attachment.path);
      if ("error" in signed) {
        // The row stays: the same user can ask Storage for a new URL to its path at any time.
        log("error", "signed upload URL refused", {
          request_id: c.var.requestId,
          error: signed.error,
        });
        throw new HttpError("storage_unavailable", "Storage did not issue an upload URL", [
          { field: "path", message: attachment.path },
        ]);
      }
      return c.json({ attachment, upload: signed.upload }, 201);
    },
  );
