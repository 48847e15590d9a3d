// start-execution: clients' members start batch executions and follow them.
//   POST /                 start (Idempotency-Key header supported)      -> 202 (200 on replay)
//   GET  /                 list (?status, ?workflow_id, ?limit, ?cursor) -> 200
//   GET  /:id              one execution, progress, cost, results with signed URLs (?results=false)
//   POST /:id/cancel       cancel: pending prompts are dropped, in-flight ones finish
//   POST /:id/retry        re-run the failed (optionally cancelled) items as a new execution
//   GET  /:id/archive      ZIP of every completed image and a manifest, streamed from Storage
//   POST /reference-uploads signed upload URLs for reference images (paths to start with)
// Every query runs as the caller: RLS and the checked SQL functions decide.
import { functionApp } from "../../../shared/http/app.ts";
import { archive } from "./archive.ts";
import { list } from "./list.ts";
import { referenceUploads } from "./reference-uploads.ts";
import { read } from "./read.ts";
import { retry } from "./retry.ts";
import { start } from "./start.ts";

export const app = functionApp("start-execution", "user")
  .route("/", start)
  .route("/", referenceUploads)
  .route("/", list)
  .route("/", read)
  .route("/", retry)
  .route("/", archive);
