// Retention: the run pg_cron asks for ({} or a smaller max_executions), and an admin's per-client setting.
import { z } from "zod";

export const retentionRunBody = z.strictObject({
  /** At most this many executions in this run (the setting's executions_per_run caps it too). */
  max_executions: z.number({ message: "must be a whole number" }).int({
    message: "must be a whole number",
  }).min(1, { message: "must be at least 1" }).max(1000, { message: "must be at most 1000" })
    .optional(),
});

/** PUT /manage-members/clients/:clientId/retention: days, or null for the default. */
export const clientRetentionBody = z.strictObject({
  retention_days: z.number({
    message: "must be a whole number of days, or null",
  }).int({
    message: "must be a whole number of days",
  }).min(1, { message: "must be at least 1 day" })
    .max(3650, { message: "must be at most 3650 days" }).nullable(),
});

/** The answers of the two retention routes (for the API description). */
export const retentionResponses = {
  runAccepted: z.object({ accepted: z.boolean() }),
  clientRetention: z.object({
    retention: z.object({
      client_id: z.uuid(),
      retention_days: z.number().int(),
      default: z.boolean(),
    }),
  }),
};
