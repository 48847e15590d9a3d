// Getting an invitation to its person: an address without an account gets Supabase Auth's
// invite e-mail (they set a password through its link, then accept in the app); an address
// with one sees the invitation in GET /me. The answer says only whether that went through,
// not which of the two it was, so inviting cannot be used to learn who has an account.
import { inviteByEmail } from "../../../shared/auth/auth-admin.ts";
import { HttpError } from "../../../shared/core/errors.ts";
import { log } from "../../../shared/core/log.ts";

export type Notification = "sent" | "failed";

export async function deliverInvitation(
  email: string,
  requestId: string,
): Promise<Notification> {
  try {
    await inviteByEmail(email);
    return "sent";
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    // The invitation stands (and its token was answered); only the e-mail is missing.
    log("warn", "invitation e-mail not sent", { request_id: requestId, error: err.message });
    return "failed";
  }
}
