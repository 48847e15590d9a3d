// assign-template: the admin console's catalogue side: workflow templates (and propagating
// them), the model catalogue, assigning templates to clients, client workflows, workflow
// requests, and usage analytics. Thin routes: validate, run SQL as the caller, let RLS,
// constraints, triggers and the SQL functions decide.
import { functionApp } from "../../../shared/http/app.ts";
import { analytics } from "./analytics.ts";
import { models } from "./models.ts";
import { propagation } from "./propagation.ts";
import { requests } from "./requests.ts";
import { templates } from "./templates.ts";
import { workflows } from "./workflows.ts";

export const app = functionApp("assign-template", "user")
  .route("/", templates)
  .route("/", propagation)
  .route("/", models)
  .route("/", workflows)
  .route("/", requests)
  .route("/", analytics);
