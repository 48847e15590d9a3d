// Workflow templates (assign-template): the config of each workflow type, and the bodies and
// query of the template routes. The database checks the same config shape
// (private.template_config_problem), so these schemas and that check must change together;
// what a model offers (ratios, sizes, prices, lifecycle) only the database knows (the model
// catalogue, public.image_models), and it answers 422 naming the field.
import { z } from "zod";
import { text, uuid } from "./common.ts";
// One list of what Gemini accepts, shared with the execution options.
import { aspectRatios, imageSizes } from "./executions.ts";

export const workflowTypes = ["nano_banana", "pro_banana"] as const;

/** Config keys a template may let each client override (never the type or this list). */
export const overridableKeys = [
  "model",
  "max_prompts",
  "requires_api_key",
  "supports_reference_images",
  "max_reference_images",
  "aspect_ratios",
  "image_sizes",
  "concurrency",
] as const;

const configFields = {
  model: text(100),
  max_prompts: z.number().int().min(1).max(1000),
  requires_api_key: z.boolean(),
  supports_reference_images: z.boolean().optional(),
  max_reference_images: z.number().int().min(0).max(14).optional(),
  aspect_ratios: z.array(z.enum(aspectRatios)).min(1).max(aspectRatios.length)
    .optional(),
  image_sizes: z.array(z.enum(imageSizes)).min(1).max(imageSizes.length)
    .optional(),
  concurrency: z.number().int().min(1).max(50).optional(),
  overridable: z.array(z.enum(overridableKeys)).max(overridableKeys.length)
    .optional(),
};

// The two types differ in the model family they run on (flash / pro), which the catalogue
// checks; the settings are the same.
export const nanoBananaConfig = z.strictObject({
  workflow_type: z.literal("nano_banana").optional(),
  ...configFields,
});
export const proBananaConfig = z.strictObject({
  workflow_type: z.literal("pro_banana").optional(),
  ...configFields,
});
export type NanoBananaConfig = z.infer<typeof nanoBananaConfig>;
export type ProBananaConfig = z.infer<typeof proBananaConfig>;
export type WorkflowConfig = NanoBananaConfig | ProBananaConfig;

const money = z.number().min(0).max(999999);

/** Revenue per image at the sizes where it differs from revenue_per_execution. */
export const revenuePerSize = z.partialRecord(z.enum(imageSizes), money);

// No cost_per_execution: the provider's price comes from the model catalogue.
const templateFields = {
  name: text(200),
  description: text(2000).nullable().optional(),
  icon: text(50).optional(),
  revenue_per_execution: money.optional(),
  revenue_per_size: revenuePerSize.optional(),
  is_active: z.boolean().optional(),
};

/** POST /assign-template/templates: the config is validated for the chosen workflow_type. */
export const templateCreate = z.discriminatedUnion("workflow_type", [
  z.strictObject({
    workflow_type: z.literal("nano_banana"),
    config: nanoBananaConfig,
    ...templateFields,
  }),
  z.strictObject({
    workflow_type: z.literal("pro_banana"),
    config: proBananaConfig,
    ...templateFields,
  }),
]);
export type TemplateCreate = z.infer<typeof templateCreate>;

/**
 * PATCH /assign-template/templates/:id. A new config is checked against the workflow_type
 * sent with it, or else against the widest config (the database then checks it against the
 * stored type).
 */
export const templatePatch = z
  .strictObject({
    name: templateFields.name.optional(),
    description: templateFields.description,
    icon: templateFields.icon,
    revenue_per_execution: templateFields.revenue_per_execution,
    revenue_per_size: templateFields.revenue_per_size,
    is_active: templateFields.is_active,
    workflow_type: z.enum(workflowTypes).optional(),
    config: z.unknown().optional(),
  })
  .superRefine((body, ctx) => {
    if (Object.keys(body).length === 0) {
      ctx.addIssue({
        code: "custom",
        message: "send at least one field to change",
        path: [],
      });
    }
    if (body.workflow_type !== undefined && body.config === undefined) {
      ctx.addIssue({
        code: "custom",
        message: "changing workflow_type needs the matching config",
        path: ["config"],
      });
    }
    if (body.config === undefined) return;
    const schema = body.workflow_type === "nano_banana" ? nanoBananaConfig : proBananaConfig;
    const result = schema.safeParse(body.config);
    if (!result.success) {
      for (const issue of result.error.issues) {
        ctx.addIssue(
          { ...issue, path: ["config", ...issue.path] } as z.core.$ZodRawIssue,
        );
      }
    }
  });
export type TemplatePatch = z.infer<typeof templatePatch>;

const booleanString = z.enum(["true", "false"]).transform((v) => v === "true");

/** GET /assign-template/templates */
export const templatesQuery = z.strictObject({
  include_inactive: booleanString.optional(),
});

export const templateIdParam = z.strictObject({ id: uuid });

/** POST /assign-template/templates/:id/propagate */
export const templatePropagate = z.strictObject({
  dry_run: z.boolean({
    message: "must be true (list what would change) or false (change it)",
  }),
});
export type TemplatePropagate = z.infer<typeof templatePropagate>;
