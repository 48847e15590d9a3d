// Requests of start-execution and process-batch. Shape rules live here (400 naming the field);
// rules that depend on the workflow (how many prompts, whether reference images, image sizes
// or an API key are accepted) are checked by the database against the workflow config (422).
import { z } from "zod";
import { text, uuid } from "./common.ts";
import { pageQuery } from "./pages.ts";

export const imageMimeTypes = [
  "image/png",
  "image/jpeg",
  "image/webp",
] as const;
// Gemini's imageConfig vocabulary (every value some model accepts). Which of them a given
// workflow's model offers is the model catalogue's call (public.image_models): the database
// refuses the rest with 422 naming the field.
export const aspectRatios = [
  "1:1",
  "1:4",
  "1:8",
  "2:3",
  "3:2",
  "3:4",
  "4:1",
  "4:3",
  "4:5",
  "5:4",
  "8:1",
  "9:16",
  "16:9",
  "21:9",
] as const;
/** Output sizes; "512" is 0.5K. The API wants the upper-case K. */
export const imageSizes = ["512", "1K", "2K", "4K"] as const;
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
/** Decoded bytes of all reference images of one execution, at most (12 MiB). */
export const maxReferenceTotalBytes = 3 * maxReferenceImageBytes;
/** All reference images of one execution together: three at the per-image maximum (12 MiB). */
export const maxReferenceImagesTotalBase64 = 3 * maxReferenceImageBase64;

const base64 = z.string()
  .min(1, { message: "must not be empty" })
  .max(maxReferenceImageBase64, {
    message: `must decode to at most ${maxReferenceImageBytes} bytes`,
  })
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, {
    message: "must be base64 (no data: prefix)",
  });

/** Inline form (kept for older clients): the image itself, base64, inside input_data. */
export const inlineReferenceImage = z.strictObject({
  mime_type: z.enum(imageMimeTypes, {
    message: `must be one of ${imageMimeTypes.join(", ")}`,
  }),
  data: base64,
});
/** @deprecated name of inlineReferenceImage */
export const referenceImage = inlineReferenceImage;

const uuidText = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
/** `<client_id>/<uuid>.<ext>` in bucket reference-images, as POST /reference-uploads names it. */
export const referencePathPattern = new RegExp(`^${uuidText}/${uuidText}\\.(png|jpg|webp)$`);

/** Stored form: an object uploaded with POST /reference-uploads, named by its path. */
export const storedReferenceImage = (clientId: string | null = null) =>
  z.strictObject({
    path: z.string({ message: "must be a path" }).regex(referencePathPattern, {
      message: "must be <client_id>/<uuid>.png|jpg|webp as the upload route names it",
    }).refine((p) => clientId === null || p.split("/")[0] === clientId, {
      message: "must be in the execution's client's folder",
    }),
    mime_type: z.enum(imageMimeTypes, {
      message: `must be one of ${imageMimeTypes.join(", ")}`,
    }),
  });
export type StoredReferenceImage = z.infer<ReturnType<typeof storedReferenceImage>>;
export type InlineReferenceImage = z.infer<typeof inlineReferenceImage>;

function isStoredShaped(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "path" in value;
}

/**
 * One reference image, either form: an object with `path` is read as a stored reference, any
 * other as inline (so a 400 names the fields of the form the caller meant, as SQL does).
 */
const anyReferenceImage = (clientId: string | null) => {
  const stored = storedReferenceImage(clientId);
  return z.unknown().transform((value, ctx) => {
    const result = (isStoredShaped(value) ? stored : inlineReferenceImage).safeParse(value);
    if (!result.success) {
      for (const issue of result.error.issues) {
        ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
      }
      return z.NEVER;
    }
    return result.data as StoredReferenceImage | InlineReferenceImage;
  }).meta({
    description: "{path, mime_type} (uploaded with POST /reference-uploads) or, deprecated, " +
      "{mime_type, data: base64}",
  });
};

const referenceImagesFor = (clientId: string | null) =>
  z.array(anyReferenceImage(clientId), {
    message: "must be a list of images",
  })
    .max(maxReferenceImages, {
      message: `must contain at most ${maxReferenceImages} images`,
    })
    .refine(
      (images) =>
        images.reduce((n, i) => n + ("data" in i ? i.data.length : 0), 0) <=
          maxReferenceImagesTotalBase64,
      { message: "must hold at most 12 MiB of images in all" },
    );
const referenceImages = referenceImagesFor(null);

/** A Gemini API key as a client sends it (per start request, or to be stored for the client). */
export const geminiApiKey = z.string().trim().min(1, { message: "must not be empty" })
  .max(200, { message: "must be at most 200 characters" })
  .regex(/^[\x21-\x7e]+$/, { message: "must be printable ASCII without spaces" });

const promptList = <T extends z.ZodType<string>>(prompt: T) =>
  z.array(prompt, { message: "must be a list of prompts" })
    .min(1, { message: "must contain at least one prompt" })
    .max(maxPrompts, { message: `must contain at most ${maxPrompts} prompts` });

export const startExecutionBody = z.strictObject({
  workflow_id: uuid,
  prompts: promptList(text(maxPromptLength)),
  reference_images: referenceImages.optional(),
  aspect_ratio: z.enum(aspectRatios, {
    message: `must be one of ${aspectRatios.join(", ")}`,
  })
    .optional(),
  image_size: z.enum(imageSizes, {
    message: `must be one of ${imageSizes.join(", ")}`,
  })
    .optional(),
  api_key: geminiApiKey.optional(),
});
export type StartExecutionBody = z.infer<typeof startExecutionBody>;

/** POST /:id/retry: which items to re-run, and the client's key for a bring-your-own-key workflow. */
export const retryExecutionBody = z.strictObject({
  include_cancelled: z.boolean({ message: "must be true or false" }).default(
    false,
  ),
  api_key: startExecutionBody.shape.api_key,
});
export type RetryExecutionBody = z.infer<typeof retryExecutionBody>;

/**
 * workflow_executions.input_data as the database accepts it, whoever writes the row
 * (private.execution_input_shape_problem holds the same limits; a test feeds both the same
 * cases). Shape only: the aspect ratios and sizes a model offers are checked against the
 * workflow's model in SQL. Prompts are stored trimmed, so here they only must not be blank.
 */
export const executionInputFor = (clientId: string | null) =>
  z.strictObject({
    prompts: promptList(
      z.string().max(maxPromptLength, {
        message: `must be at most ${maxPromptLength} characters`,
      })
        .refine((p) => p.trim().length > 0, { message: "must not be empty" }),
    ),
    reference_images: referenceImagesFor(clientId).optional(),
    aspect_ratio: z.string().regex(/^[0-9]{1,2}:[0-9]{1,2}$/, {
      message: "must be a ratio like 16:9",
    })
      .optional(),
    image_size: z.string().regex(/^([0-9]{1,2}K|[0-9]{3})$/, {
      message: "must be a size like 2K or 512",
    }).optional(),
    uses_client_api_key: z.boolean().optional(),
  });
/** input_data without knowing the client (paths are checked for shape, not folder). */
export const executionInput = executionInputFor(null);
export type ExecutionInput = z.infer<typeof executionInput>;

/** The input_data a validated start request is stored as (the API key itself never is). */
export function executionInputOf(body: StartExecutionBody): ExecutionInput {
  return {
    prompts: body.prompts,
    ...(body.reference_images?.length ? { reference_images: body.reference_images } : {}),
    ...(body.aspect_ratio ? { aspect_ratio: body.aspect_ratio } : {}),
    ...(body.image_size ? { image_size: body.image_size } : {}),
    uses_client_api_key: body.api_key !== undefined,
  };
}

/** The Idempotency-Key header (optional): the same key and body return the first execution. */
export const idempotencyKey = z.string()
  .min(1, { message: "must not be empty" })
  .max(200, { message: "must be at most 200 characters" })
  .regex(/^[\x21-\x7e]+$/, {
    message: "must be printable ASCII without spaces",
  });

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
  table: z.literal("workflow_executions", {
    message: 'must be "workflow_executions"',
  }),
  schema: z.literal("public", { message: 'must be "public"' }),
  record: z.looseObject({ id: uuid }, { message: "must be the inserted row" }),
  old_record: z.null({ message: "must be null for an INSERT" }),
});

function isWebhookShaped(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    "type" in value;
}

/**
 * process-batch's body: either form, answered as the execution it names. A body with `type`
 * is read as a webhook payload, any other as the chain's own, so a 400 names the fields of
 * the form the caller meant.
 */
export const processBatchBody = z.unknown().transform((value, ctx) => {
  const webhook = isWebhookShaped(value);
  const result = (webhook ? executionInsertWebhookBody : chainKickBody)
    .safeParse(value);
  if (!result.success) {
    for (const issue of result.error.issues) {
      ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
    }
    return z.NEVER;
  }
  const data = result.data as {
    execution_id?: string;
    record?: { id: string };
  };
  return {
    execution_id: (data.execution_id ?? data.record?.id) as string,
    via: webhook ? "webhook" : "chain",
  };
});

/**
 * POST /reference-uploads: the images a client is about to upload for a workflow (type and
 * size as it will send them). The workflow's model decides how many, how large and which
 * types (the database refuses the rest with 422); these are the absolute caps of the bucket.
 */
export const referenceUploadsBody = z.strictObject({
  workflow_id: uuid,
  images: z.array(
    z.strictObject({
      mime_type: z.enum(imageMimeTypes, {
        message: `must be one of ${imageMimeTypes.join(", ")}`,
      }),
      size_bytes: z.number({ message: "must be a number" }).int({ message: "must be an integer" })
        .min(1, { message: "must be at least 1" })
        .max(maxReferenceImageBytes, { message: `must be at most ${maxReferenceImageBytes}` }),
    }),
    { message: "must be a list of images" },
  ).min(1, { message: "must contain at least one image" })
    .max(maxReferenceImages, { message: `must contain at most ${maxReferenceImages} images` }),
});
export type ReferenceUploadsBody = z.infer<typeof referenceUploadsBody>;
