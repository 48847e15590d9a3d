// Retention: the run pg_cron asks for (an empty object), and an admin's per-client setting.
import { z } from "zod";

export const retentionRunBody = z.strictObject({});

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
