// POST /start-execution/reference-uploads: the client says which reference images it is about
// to upload for a workflow (type and size); the database checks them against the workflow's
// and its model's limits (private.plan_reference_uploads: count, bytes per image and in all,
// types) and names a fresh object in the workflow's client's folder for each; Storage, asked
// with the caller's own token, signs an upload URL for each (storage.objects RLS: only members
// of that client may upload there). The client uploads straight to Storage
// (storage.from(bucket).uploadToSignedUrl(path, token, file)) and starts the execution with
// `reference_images: [{path, mime_type}]`; the start checks the objects as stored.
import { HttpError } from "../../../shared/core/errors.ts";
import { log } from "../../../shared/core/log.ts";
import { userRoutes } from "../../../shared/http/context.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { body } from "../../../shared/http/input.ts";
import {
  type ReferenceUpload,
  signedReferenceUpload,
} from "../../../shared/storage/reference-images.ts";
import { referenceUploadsBody } from "../../../shared/validation.ts";
import { responses } from "../../../shared/validation/responses.ts";

interface Plan {
  client_id: string;
  limits: Record<string, unknown>;
  paths: string[];
}

export const referenceUploads = userRoutes()
  .post(
    "/reference-uploads",
    describe({
      summary: "Reference images: signed upload URLs (answers paths to start with)",
      ok: [201, responses.referenceUploads],
      refusals: [404, 422, 502],
    }),
    body(referenceUploadsBody),
    async (c) => {
      const b = c.req.valid("json");
      const [{ plan }] = await c.var.db((tx) =>
        tx<{ plan: Plan }[]>`
        select private.plan_reference_uploads(${b.workflow_id}, ${tx.json(b.images)}) as plan`
      );
      const uploads: (ReferenceUpload & { mime_type: string; size_bytes: number })[] = [];
      for (const [i, path] of plan.paths.entries()) {
        const signed = await signedReferenceUpload(c.var.user.token, path);
        if ("error" in signed) {
          log("error", "signed reference upload URL refused", {
            request_id: c.var.requestId,
            error: signed.error,
          });
          throw new HttpError("storage_unavailable", "Storage did not issue an upload URL", [
            { field: `images.${i}`, message: path },
          ]);
        }
        uploads.push({ ...signed.upload, ...b.images[i] });
      }
      return c.json({ client_id: plan.client_id, limits: plan.limits, uploads }, 201);
    },
  );
