// assign-template: the admin console's catalogue side: workflow templates, assigning them to
// clients, client workflows, workflow requests, and usage analytics. Thin routes: validate,
// run SQL as the caller, let RLS, constraints, triggers and the SQL functions decide.
import { createApp } from "../../../shared/http.ts";
import { analyticsRoutes } from "./analytics.ts";
import { requestRoutes } from "./requests.ts";
import { templateRoutes } from "./templates.ts";
import { workflowRoutes } from "./workflows.ts";

const app = createApp("assign-template");
templateRoutes(app);
workflowRoutes(app);
requestRoutes(app);
analyticsRoutes(app);

Deno.serve(app.fetch);
