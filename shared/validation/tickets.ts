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
  execution_id: uuid.optional(),
});
export type TicketCreate = z.infer<typeof ticketCreate>;

/** PATCH /tickets/:id: who may change what is the database's rule (members: close/reopen). */
export const ticketPatch = z
  .strictObject({
    status: z.enum(ticketStatuses).optional(),
    priority: z.enum(ticketPriorities).optional(),
    assigned_to: uuid.nullable().optional(),
    execution_id: uuid.nullable().optional(),
    client_id: uuid.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, {
    message: "send at least one of status, priority, assigned_to, execution_id, client_id",
  });
export type TicketPatch = z.infer<typeof ticketPatch>;

/** POST /tickets/:id/comments */
export const commentCreate = z.strictObject({
  body: text(10000),
  is_internal: z.boolean().optional(),
});
export type CommentCreate = z.infer<typeof commentCreate>;

/** `assigned_to=me|none|<user id>`: the caller's tickets, unassigned ones, or one assignee's. */
export const assigneeFilter = z.union([z.literal("me"), z.literal("none"), uuid], {
  message: "must be me, none or a user id",
});

/** Filters shared by the ticket list and the per-status counts. */
const ticketFilters = {
  priority: z.enum(ticketPriorities).optional(),
  client_id: uuid.optional(),
  assigned_to: assigneeFilter.optional(),
  /** Case-insensitive substring of the subject. */
  q: text(200).optional(),
};

/** GET /tickets/counts: tickets per status under the list's other filters. */
export const ticketCountsQuery = z.strictObject(ticketFilters);
export type TicketCountsQuery = z.infer<typeof ticketCountsQuery>;

/** Limits of the ticket-attachments bucket (config.toml and the ticket_attachments checks). */
export const attachmentMimeTypes = [
  "image/png",
  "image/jpeg",
  "image/webp",
  "application/pdf",
  "text/plain",
] as const;
export const attachmentMaxBytes = 10 * 1024 * 1024;

/** POST /tickets/:id/attachments: registers a file; its bytes go to Storage afterwards. */
export const attachmentCreate = z.strictObject({
  file_name: text(255).refine((name) => !/[/\\\p{Cc}]/u.test(name), {
    message: "must not contain slashes or control characters",
  }),
  mime_type: z.enum(attachmentMimeTypes, {
    message: `must be one of ${attachmentMimeTypes.join(", ")}`,
  }),
  size_bytes: z.number().int().min(1).max(attachmentMaxBytes, {
    message: `must be at most ${attachmentMaxBytes} bytes (10 MiB)`,
  }),
  comment_id: uuid.optional(),
  is_internal: z.boolean().optional(),
});
export type AttachmentCreate = z.infer<typeof attachmentCreate>;

/** GET /tickets */
export const ticketsQuery = z.strictObject({
  status: z.enum(ticketStatuses).optional(),
  ...ticketFilters,
}).extend(pageQuery.shape);
export type TicketsQuery = z.infer<typeof ticketsQuery>;
