// tickets: support tickets with comments, attachments and status history. Thin routes:
// validate, run SQL as the caller; RLS, the guard and rule triggers and the history trigger
// decide. /counts is registered before /:id so it is not read as a ticket id.
import { createApp } from "../../../shared/http.ts";
import { attachmentRoutes } from "./attachments.ts";
import { commentRoutes } from "./comments.ts";
import { countRoutes } from "./counts.ts";
import { deleteRoutes } from "./delete.ts";
import { ticketRoutes } from "./tickets.ts";

const app = createApp("tickets");
countRoutes(app);
commentRoutes(app);
attachmentRoutes(app);
deleteRoutes(app);
ticketRoutes(app);

Deno.serve(app.fetch);
