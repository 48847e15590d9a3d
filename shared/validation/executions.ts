// Requests of start-execution and process-batch. Shape rules live here (400 naming the field);
// rules that depend on the workflow (how many prompts, whether reference images, image sizes
// or an API key are accepted) are checked by the database against the workflow config (422).
import { z } from "zod";
import { pageQuery, text, uuid } from "./common.ts";

export const imageMimeTypes = ["image/png", "image/jpeg", "image/webp"] as const;
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

export const processBatchBody = z.strictObject({ execution_id: uuid });
