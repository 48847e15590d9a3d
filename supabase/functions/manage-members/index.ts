// manage-members: who the caller is (GET /me), a client's members, invitations and audit
// trail, and the admin console's client and user lifecycle. Thin routes: validate, run SQL as
// the caller; RLS, column privileges, triggers (last owner, audit, status rules) and the SQL
// functions decide. Supabase Auth is asked (with the secret key) only after the database
// accepted the change.
import { createApp } from "../../../shared/http.ts";
import { auditRoutes } from "./audit.ts";
import { clientRoutes } from "./clients.ts";
import { invitationRoutes } from "./invitations.ts";
import { meRoutes } from "./me.ts";
import { memberRoutes } from "./members.ts";
import { userRoutes } from "./users.ts";

const app = createApp("manage-members");
meRoutes(app);
memberRoutes(app);
invitationRoutes(app);
auditRoutes(app);
clientRoutes(app);
userRoutes(app);

Deno.serve(app.fetch);
