// assign-template: workflow templates (and propagating them), the model catalogue, assigning
// templates to clients, client workflows and workflow requests. Thin routes: validate, run SQL
// as the caller, let RLS, constraints, triggers and the public.* SQL functions decide.
import { createApp } from "../../../shared/http.ts";
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

Deno.serve(app.fetch);
