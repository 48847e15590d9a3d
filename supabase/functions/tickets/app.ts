// tickets: support tickets with comments and status history. Thin routes: validate, run SQL
// as the caller; RLS, the guard and rule triggers and the history trigger decide.
import { functionApp } from "../../../shared/http/app.ts";
import { comments } from "./comments.ts";
import { tickets } from "./tickets.ts";

export const app = functionApp("tickets", "user")
  .route("/", comments)
  .route("/", tickets);
