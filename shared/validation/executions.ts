// Requests of start-execution and process-batch. Shape rules live here (400 naming the field);
// rules that depend on the workflow (how many prompts, whether reference images, image sizes
// or an API key are accepted) are checked by the database against the workflow config (422).
import { z } from "zod";
import { pageQuery, text, uuid } from "./common.ts";

export const imageMimeTypes = ["image/png", "image/jpeg", "image/webp"] as const;
export const aspectRatios = [
  "1:1",
  "2:3",
  "3:2",
  "3:4",
  "4:3",
  "4:5",
  "5:4",
  "9:16",
  "16:9",
  "21:9",
] as const;
export const imageSizes = ["1K", "2K", "4K"] as const;
export const executionStatuses = [
  "pending",
  "processing",
  "completed",
  "failed",
  "cancelled",
] as const;

/** Absolute bounds; each workflow's config sets its own (lower) limits. */
export const maxPrompts = 1000;
export const maxPromptLength = 2000;
export const maxReferenceImages = 14;
export const maxReferenceImageBytes = 4 * 1024 * 1024;
const maxReferenceImageBase64 = Math.ceil(maxReferenceImageBytes / 3) * 4;

const base64 = z.string()
  .min(1, { message: "must not be empty" })
  .max(maxReferenceImageBase64, {
    message: `must decode to at most ${maxReferenceImageBytes} bytes`,
  })
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, { message: "must be base64 (no data: prefix)" });

export const referenceImage = z.strictObject({
  mime_type: z.enum(imageMimeTypes, { message: `must be one of ${imageMimeTypes.join(", ")}` }),
  data: base64,
});

export const startExecutionBody = z.strictObject({
  workflow_id: uuid,
  prompts: z.array(text(maxPromptLength), { message: "must be a list of prompts" })
    .min(1, { message: "must contain at least one prompt" })
    .max(maxPrompts, { message: `must contain at most ${maxPrompts} prompts` }),
  reference_images: z.array(referenceImage)
    .max(maxReferenceImages, { message: `must contain at most ${maxReferenceImages} images` })
    .optional(),
  aspect_ratio: z.enum(aspectRatios, { message: `must be one of ${aspectRatios.join(", ")}` })
    .optional(),
  image_size: z.enum(imageSizes, { message: `must be one of ${imageSizes.join(", ")}` })
    .optional(),
  api_key: z.string().trim().min(1, { message: "must not be empty" })
    .max(200, { message: "must be at most 200 characters" })
    .regex(/^[\x21-\x7e]+$/, { message: "must be printable ASCII without spaces" })
    .optional(),
});
export type StartExecutionBody = z.infer<typeof startExecutionBody>;

/** The Idempotency-Key header (optional): the same key and body return the first execution. */
export const idempotencyKey = z.string()
  .min(1, { message: "must not be empty" })
  .max(200, { message: "must be at most 200 characters" })
  .regex(/^[\x21-\x7e]+$/, { message: "must be printable ASCII without spaces" });

export const executionQuery = z.strictObject({
  /** `false` skips the per-prompt results (cheap progress polling). */
  results: z.enum(["true", "false"]).default("true").transform((v) => v === "true"),
});

export const listExecutionsQuery = pageQuery.extend({
  status: z.enum(executionStatuses).optional(),
  workflow_id: uuid.optional(),
});
export type ListExecutionsQuery = z.infer<typeof listExecutionsQuery>;

/** What the chain itself sends (start-execution's trigger, the previous link, the sweep). */
export const chainKickBody = z.strictObject({ execution_id: uuid });

/**
 * What a Database Webhook on INSERT into public.workflow_executions posts
 * (supabase_functions.http_request: {type, table, schema, record, old_record}), so the
 * chain's first kick can also be wired from the dashboard.
 */
export const executionInsertWebhookBody = z.strictObject({
  type: z.literal("INSERT", { message: 'must be "INSERT"' }),
  table: z.literal("workflow_executions", { message: 'must be "workflow_executions"' }),
  schema: z.literal("public", { message: 'must be "public"' }),
  record: z.looseObject({ id: uuid }, { message: "must be the inserted row" }),
  old_record: z.null({ message: "must be null for an INSERT" }),
});

function isWebhookShaped(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "type" in value;
}

/**
 * process-batch's body: either form, answered as the execution it names. A body with `type`
 * is read as a webhook payload, any other as the chain's own, so a 400 names the fields of
 * the form the caller meant.
 */
export const processBatchBody = z.unknown().transform((value, ctx) => {
  const webhook = isWebhookShaped(value);
  const result = (webhook ? executionInsertWebhookBody : chainKickBody).safeParse(value);
  if (!result.success) {
    for (const issue of result.error.issues) {
      ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
    }
    return z.NEVER;
  }
  const data = result.data as { execution_id?: string; record?: { id: string } };
  return {
    execution_id: (data.execution_id ?? data.record?.id) as string,
    via: webhook ? "webhook" : "chain",
  };
});
