// Entry point: the app is in app.ts so tests can read its routes without serving it.
import { app } from "./app.ts";

Deno.serve(app.fetch);
