// assign-template: the admin console's catalogue side: workflow templates (and propagating
// them), the model catalogue, assigning templates to clients, client workflows, workflow
// requests, and usage analytics. Thin routes: validate, run SQL as the caller, let RLS,
// constraints, triggers and the SQL functions decide.
import { createApp } from "../../../shared/http.ts";
import { analyticsRoutes } from "./analytics.ts";
import { modelRoutes } from "./models.ts";
import { propagationRoutes } from "./propagation.ts";
import { requestRoutes } from "./requests.ts";
import { templateRoutes } from "./templates.ts";
import { workflowRoutes } from "./workflows.ts";

const app = createApp("assign-template");
templateRoutes(app);
propagationRoutes(app);
modelRoutes(app);
workflowRoutes(app);
requestRoutes(app);
analyticsRoutes(app);

Deno.serve(app.fetch);
