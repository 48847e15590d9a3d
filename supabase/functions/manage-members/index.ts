// manage-members: a client's members, invitations and audit trail. Thin routes: validate,
// run SQL as the caller; RLS, column privileges, triggers (last owner, audit) and the
// invitation functions decide.
import { createApp } from "../../../shared/http.ts";
import { auditRoutes } from "./audit.ts";
import { invitationRoutes } from "./invitations.ts";
import { memberRoutes } from "./members.ts";

const app = createApp("manage-members");
memberRoutes(app);
invitationRoutes(app);
auditRoutes(app);

Deno.serve(app.fetch);
