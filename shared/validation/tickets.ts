// Support tickets (tickets): bodies and the filters of the listing.
import { z } from "zod";
import { text, uuid } from "./common.ts";
import { pageQuery } from "./pages.ts";

export const ticketStatuses = [
  "open",
  "in_progress",
  "resolved",
  "closed",
] as const;
export const ticketPriorities = ["low", "medium", "high", "urgent"] as const;

/** POST /tickets */
export const ticketCreate = z.strictObject({
  client_id: uuid,
  subject: text(200),
  description: text(10000),
  priority: z.enum(ticketPriorities).optional(),
});
export type TicketCreate = z.infer<typeof ticketCreate>;

/** PATCH /tickets/:id: who may change what is the database's rule (members: close/reopen). */
export const ticketPatch = z
  .strictObject({
    status: z.enum(ticketStatuses).optional(),
    priority: z.enum(ticketPriorities).optional(),
    assigned_to: uuid.nullable().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, {
    message: "send at least one of status, priority, assigned_to",
  });
export type TicketPatch = z.infer<typeof ticketPatch>;

/** POST /tickets/:id/comments */
export const commentCreate = z.strictObject({
  body: text(10000),
  is_internal: z.boolean().optional(),
});
export type CommentCreate = z.infer<typeof commentCreate>;

/** GET /tickets */
export const ticketsQuery = z.strictObject({
  status: z.enum(ticketStatuses).optional(),
  priority: z.enum(ticketPriorities).optional(),
  client_id: uuid.optional(),
}).extend(pageQuery.shape);
export type TicketsQuery = z.infer<typeof ticketsQuery>;
