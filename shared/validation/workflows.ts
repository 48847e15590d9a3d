// Client workflows (assign-template): assigning a template, changing a workflow (status, name,
// config: model and options), listing them, and the ones whose model is at risk.
import { z } from "zod";
import { text, uuid } from "./common.ts";
import { aspectRatios, imageSizes } from "./executions.ts";

/**
 * Overrides are checked for type here; which keys a template allows, and whether the result
 * fits the template's workflow_type, is the database's call (assign_template answers 422).
 */
export const configOverrides = z.strictObject({
  model: text(100).optional(),
  max_prompts: z.number().int().min(1).max(1000).optional(),
  requires_api_key: z.boolean().optional(),
  supports_reference_images: z.boolean().optional(),
  max_reference_images: z.number().int().min(0).max(14).optional(),
  aspect_ratios: z.array(z.enum(aspectRatios)).min(1).max(aspectRatios.length)
    .optional(),
  image_sizes: z.array(z.enum(imageSizes)).min(1).max(imageSizes.length)
    .optional(),
  concurrency: z.number().int().min(1).max(50).optional(),
});
export type ConfigOverrides = z.infer<typeof configOverrides>;

/** POST /assign-template/assignments */
export const assignmentCreate = z.strictObject({
  template_id: uuid,
  client_id: uuid,
  name: text(200).optional(),
  description: text(2000).optional(),
  config_overrides: configOverrides.optional(),
});
export type AssignmentCreate = z.infer<typeof assignmentCreate>;

export const workflowStatuses = ["active", "inactive"] as const;

/**
 * PATCH /assign-template/workflows/:id. `config` names the settings to change (the others
 * stay); the database checks the result like a template's config (shape, and what the model
 * offers above cost) and answers 422 naming the problem.
 */
export const workflowPatch = z
  .strictObject({
    status: z.enum(workflowStatuses).optional(),
    name: text(200).optional(),
    description: text(2000).nullable().optional(),
    config: configOverrides.optional(),
  })
  .superRefine((body, ctx) => {
    if (Object.keys(body).length === 0) {
      ctx.addIssue({
        code: "custom",
        message: "send at least one field to change",
        path: [],
      });
    }
    if (body.config !== undefined && Object.keys(body.config).length === 0) {
      ctx.addIssue({
        code: "custom",
        message: "name at least one setting",
        path: ["config"],
      });
    }
  });
export type WorkflowPatch = z.infer<typeof workflowPatch>;

/** GET /assign-template/workflows */
export const workflowsQuery = z.strictObject({
  client_id: uuid.optional(),
  status: z.enum(workflowStatuses).optional(),
});
export type WorkflowsQuery = z.infer<typeof workflowsQuery>;

/** GET /assign-template/workflows/at-risk */
export const workflowsAtRiskQuery = z.strictObject({
  within_days: z.coerce.number().int().min(0).max(3650).default(60),
});
export type WorkflowsAtRiskQuery = z.infer<typeof workflowsAtRiskQuery>;
