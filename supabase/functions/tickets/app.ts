// tickets: support tickets with comments, attachments and status history. Thin routes:
// validate, run SQL as the caller; RLS, the guard and rule triggers and the history trigger
// decide. /counts is mounted before the ticket routes so it is not read as a ticket id.
import { functionApp } from "../../../shared/http/app.ts";
import { attachments } from "./attachments.ts";
import { comments } from "./comments.ts";
import { counts } from "./counts.ts";
import { deletion } from "./delete.ts";
import { tickets } from "./tickets.ts";

export const app = functionApp("tickets", "user")
  .route("/", counts)
  .route("/", comments)
  .route("/", attachments)
  .route("/", deletion)
  .route("/", tickets);
