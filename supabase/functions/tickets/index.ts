// tickets: support tickets with comments and status history. Thin routes: validate, run SQL
// as the caller; RLS, the guard and rule triggers and the history trigger decide.
import { createApp } from "../../../shared/http.ts";
import { commentRoutes } from "./comments.ts";
import { ticketRoutes } from "./tickets.ts";

const app = createApp("tickets");
commentRoutes(app);
ticketRoutes(app);

Deno.serve(app.fetch);
