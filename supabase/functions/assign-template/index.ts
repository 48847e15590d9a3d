// assign-template: workflow templates, assigning them to clients, client workflows and
// workflow requests. Thin routes: validate, run SQL as the caller, let RLS, constraints,
// triggers and public.assign_template decide.
import { createApp } from "../../../shared/http.ts";
import { requestRoutes } from "./requests.ts";
import { templateRoutes } from "./templates.ts";
import { workflowRoutes } from "./workflows.ts";

const app = createApp("assign-template");
templateRoutes(app);
workflowRoutes(app);
requestRoutes(app);

Deno.serve(app.fetch);
