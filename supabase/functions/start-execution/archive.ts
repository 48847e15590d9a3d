// GET /start-execution/:id/archive: one ZIP of every completed image of an execution and a
// manifest.json (index, prompt, status, error and the member name of each item), streamed as
// it is read from Storage: each object is downloaded with the CALLER's token, so Storage's RLS
// decides per object, and only one chunk at a time is in memory (the stream is pull-driven, so
// a slow client slows the downloads instead of filling memory). The execution is read as the
// caller too: invisible or absent -> 404 before any byte is sent.
// Wall clock: hosted Edge Functions stop a request after 150 s (free) / 400 s (paid). Images
// stop being added once ARCHIVE_BUDGET_SECONDS (default 120) have passed; the rest are listed
// in the manifest as `not_archived: "time_budget"` and the ZIP still closes properly.
import { HttpError } from "../../../shared/core/errors.ts";
import { log } from "../../../shared/core/log.ts";
import { userRoutes } from "../../../shared/http/context.ts";
import { params } from "../../../shared/http/input.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { downloadAsUser } from "../../../shared/storage/results.ts";
import { ZipWriter } from "../../../shared/storage/zip.ts";
import { idParam } from "../../../shared/validation.ts";
import { loadExecution } from "./view.ts";

interface ManifestItem {
  index: number;
  prompt: string;
  status: string;
  error: string | null;
  error_code: string | null;
  file: string | null;
  not_archived?: "storage_refused" | "time_budget";
}

function budgetMs(): number {
  const seconds = Number(Deno.env.get("ARCHIVE_BUDGET_SECONDS") ?? 120);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : 120) * 1000;
}

const utf8 = new TextEncoder();

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

export const archive = userRoutes()
  .get(
    "/:id/archive",
    describe({
      summary: "ZIP of every completed image and a manifest, streamed from Storage",
      ok: [200],
      refusals: [404],
    }),
    params(idParam),
    async (c) => {
      const { id } = c.req.valid("param");
      const loaded = await c.var.db((tx) => loadExecution(tx, id, true));
      if (!loaded) throw new HttpError("not_found", "No such execution");
      const token = c.var.user.token;
      const deadline = Date.now() + budgetMs();
      const aborted = new AbortController();

      async function* zip(): AsyncGenerator<Uint8Array> {
        const writer = new ZipWriter();
        const manifest: ManifestItem[] = [];
        for (const r of loaded!.results) {
          const item: ManifestItem = {
            index: r.batch_index,
            prompt: r.prompt,
            status: r.status,
            error: r.error_message,
            error_code: r.error_code,
            file: null,
          };
          manifest.push(item);
          if (r.status !== "completed" || !r.storage_path) continue;
          if (Date.now() > deadline) {
            item.not_archived = "time_budget";
            continue;
          }
          const body = await downloadAsUser(
            token,
            r.storage_path,
            aborted.signal,
          );
          if (!body) {
            item.not_archived = "storage_refused";
            continue;
          }
          const name = `images/${String(r.batch_index).padStart(4, "0")}_${
            r.storage_path.split("/").pop()
          }`;
          yield* writer.member(name, body);
          item.file = name;
        }
        const summary = {
          execution_id: loaded!.execution.id,
          status: loaded!.execution.status,
          counts: loaded!.counts,
          items: manifest,
        };
        yield* writer.member(
          "manifest.json",
          once(utf8.encode(JSON.stringify(summary, null, 2))),
        );
        yield writer.finish();
      }

      const iterator = zip();
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            const { value, done } = await iterator.next();
            if (done) controller.close();
            else controller.enqueue(value);
          } catch (error) {
            // The status line has gone out: the client sees a cut-off download, never a ZIP
            // that looks complete.
            log("error", "archive stream failed", {
              execution_id: id,
              request_id: c.var.requestId,
              error: String(error),
            });
            controller.error(error);
          }
        },
        async cancel() {
          aborted.abort();
          await iterator.return(undefined);
        },
      }, { highWaterMark: 0 });
      return new Response(stream, {
        status: 200,
        headers: {
          "content-type": "application/zip",
          "content-disposition": `attachment; filename="execution-${id}.zip"`,
          "cache-control": "no-store",
        },
      });
    },
  );
