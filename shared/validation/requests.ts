// Workflow requests (assign-template): members ask, admins approve or reject.
import { z } from "zod";
import { text, uuid } from "./common.ts";

/** POST /assign-template/requests */
export const requestCreate = z.strictObject({
  workflow_id: uuid,
  notes: text(2000).optional(),
});
export type RequestCreate = z.infer<typeof requestCreate>;

/** PATCH /assign-template/requests/:id (admins) */
export const requestDecision = z.strictObject({
  status: z.enum(["approved", "rejected"]),
  admin_notes: text(2000).optional(),
});
export type RequestDecision = z.infer<typeof requestDecision>;

export const requestStatuses = ["pending", "approved", "rejected"] as const;

/** GET /assign-template/requests */
export const requestsQuery = z.strictObject({
  status: z.enum(requestStatuses).optional(),
  client_id: uuid.optional(),
});
export type RequestsQuery = z.infer<typeof requestsQuery>;
