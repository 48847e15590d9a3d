// manage-members: who the caller is (GET /me), a client's members, invitations and audit
// trail, the client's stored Gemini key (owners), and the admin console's client and user
// lifecycle. Thin routes: validate, run SQL as the caller; RLS, column privileges, triggers
// (last owner, audit, status rules) and the SQL functions decide. Supabase Auth is asked (with
// the secret key) only after the database accepted the change.
import { functionApp } from "../../../shared/http/app.ts";
import { audit } from "./audit.ts";
import { clients } from "./clients.ts";
import { geminiKeyDelete } from "./gemini-key-delete.ts";
import { geminiKeyRead } from "./gemini-key-read.ts";
import { geminiKeySet } from "./gemini-key-set.ts";
import { invitations } from "./invitations.ts";
import { me } from "./me.ts";
import { members } from "./members.ts";
import { retention } from "./retention.ts";
import { users } from "./users.ts";

export const app = functionApp("manage-members", "user")
  .route("/", me)
  .route("/", members)
  .route("/", invitations)
  .route("/", audit)
  .route("/", clients)
  .route("/", geminiKeyRead)
  .route("/", geminiKeySet)
  .route("/", geminiKeyDelete)
  .route("/", users)
  .route("/", retention);
