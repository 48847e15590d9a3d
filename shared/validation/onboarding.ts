// The admin console and onboarding (manage-members): clients and users lifecycle, invitations
// accepted by id, and the keyset cursor of their listings.
import { z } from "zod";
import { text, uuid } from "./common.ts";
import { pageQuery } from "./pages.ts";

const email = z.string().trim().max(320, {
  message: "must be at most 320 characters",
})
  .pipe(z.email({ message: "must be an e-mail address" }))
  .transform((e) => e.toLowerCase());

export const clientStatuses = ["active", "suspended", "deleted"] as const;
export const userStatuses = ["active", "suspended", "deleted"] as const;

/** POST /manage-members/clients: exactly one of owner_user_id / owner_email. */
export const clientCreate = z.strictObject({
  name: text(200),
  company_name: text(200).optional(),
  email,
  owner_user_id: uuid.optional(),
  owner_email: email.optional(),
}).refine(
  (b) => (b.owner_user_id === undefined) !== (b.owner_email === undefined),
  {
    message: "send exactly one of owner_user_id, owner_email",
    path: ["owner_user_id"],
  },
);
export type ClientCreate = z.infer<typeof clientCreate>;

/** PATCH /manage-members/clients/:clientId: contact details, and status (admins). */
export const clientPatch = z.strictObject({
  name: text(200).optional(),
  company_name: text(200).nullable().optional(),
  email: email.optional(),
  status: z.enum(clientStatuses).optional(),
}).refine((b) => Object.keys(b).length > 0, {
  message: "send at least one of name, company_name, email, status",
});
export type ClientPatch = z.infer<typeof clientPatch>;

/** GET /manage-members/clients and /users: search, status filter, keyset page. */
export const directoryQuery = z.strictObject({
  q: z.string().trim().min(1).max(100).optional(),
  status: z.enum(clientStatuses).optional(),
}).extend(pageQuery.shape);
export type DirectoryQuery = z.infer<typeof directoryQuery>;

/** POST /manage-members/users/invitations: a new platform user through Supabase Auth. */
export const userInvite = z.strictObject({
  email,
  name: text(200).optional(),
});
export type UserInvite = z.infer<typeof userInvite>;

export const userParam = z.strictObject({ userId: uuid });

/** PATCH /manage-members/users/:userId */
export const userPatch = z.strictObject({
  status: z.enum(userStatuses),
});
export type UserPatch = z.infer<typeof userPatch>;

const isoDate = z.iso.date({ message: "must be a date (YYYY-MM-DD)" });

/** GET /assign-template/analytics/*: months of created_at, inclusive. */
export const analyticsQuery = z.strictObject({
  from: isoDate.optional(),
  to: isoDate.optional(),
  client_id: uuid.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(10),
});
export type AnalyticsQuery = z.infer<typeof analyticsQuery>;
