// Client members and invitations (manage-members).
import { z } from "zod";
import { text, uuid } from "./common.ts";
import { cursorParam } from "./pages.ts";

export const clientRoles = ["owner", "collaborator"] as const;

export const clientParam = z.strictObject({ clientId: uuid });
export const memberParam = z.strictObject({ clientId: uuid, userId: uuid });

/** POST /manage-members/clients/:clientId/invitations */
export const invitationCreate = z.strictObject({
  email: z.string().trim().max(320, {
    message: "must be at most 320 characters",
  })
    .pipe(z.email({ message: "must be an e-mail address" }))
    .transform((e) => e.toLowerCase()),
  role: z.enum(clientRoles),
});
export type InvitationCreate = z.infer<typeof invitationCreate>;

/** POST /manage-members/invitations/accept */
export const invitationAccept = z.strictObject({
  token: text(200),
});
export type InvitationAccept = z.infer<typeof invitationAccept>;

/** PATCH /manage-members/clients/:clientId/members/:userId */
export const memberPatch = z.strictObject({
  role: z.enum(clientRoles),
});
export type MemberPatch = z.infer<typeof memberPatch>;

/** The audit trail's keyset: the entry id (newest first). */
export const auditKeys = z.tuple([z.number().int().min(1)]);

/** GET /manage-members/clients/:clientId/audit: newest first. */
export const auditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: cursorParam(auditKeys).optional(),
});
export type AuditQuery = z.infer<typeof auditQuery>;
