// A stand-in for the slice of Supabase's Management API that `supabase functions deploy
// --use-api` talks to, used ONLY by the deploy check. It listens where the CLI's built-in
// `supabase-local` profile points (http://localhost:8080), records every upload and answers
// like the real API so the real CLI completes:
//   POST /v1/projects/{ref}/functions/deploy?slug=&bundleOnly=   multipart: a `metadata` JSON
//        part (name, entrypoint_path, import_map_path, verify_jwt, static_patterns) and one
//        `file` part per source file, named by its path relative to the project   -> 201
//   PUT  /v1/projects/{ref}/functions   the bulk update the CLI sends after several
//        bundle-only uploads (activates them)                      -> 200 {functions: [...]}
//   GET  /v1/projects/{ref}/functions   -> 200 [...];  GET /v1/projects/{ref} -> 200 project
// Anything else is answered 404 and recorded, so the check can report requests it never saw.
// Every request needs `Authorization: Bearer <the access token>` (else 401), and the project
// ref must be the one the check deploys to (else 404), as on the real API.

export interface UploadedFile {
  name: string;
  content: Uint8Array;
}

export interface FunctionUpload {
  slug: string;
  bundleOnly: boolean;
  metadata: Record<string, unknown>;
  files: UploadedFile[];
  /** The function record the stand-in answered with. */
  record: FunctionRecord;
}

export interface FunctionRecord {
  id: string;
  slug: string;
  name: string;
  status: "ACTIVE";
  version: number;
  created_at: number;
  updated_at: number;
  verify_jwt: boolean;
  import_map: boolean;
  entrypoint_path: string;
  import_map_path: string;
}

export interface ApiRecording {
  uploads: FunctionUpload[];
  bulkUpdates: { id?: string; slug?: string }[][];
  /** Requests the stand-in does not serve (method, path, status answered). */
  unexpected: string[];
}

export interface ManagementApi {
  recording: ApiRecording;
  close(): Promise<void>;
}

/** The address of the CLI's `supabase-local` profile (api_url http://localhost:8080). */
export const LOCAL_PROFILE_PORT = 8080;

function json(body: unknown, status = 200): Response {
  return Response.json(body, { status });
}

function message(status: number, text: string): Response {
  return json({ message: text }, status);
}

function listen(handler: Deno.ServeHandler, port: number): Deno.HttpServer {
  return Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, handler);
}

/**
 * Starts the stand-in. The port is fixed by the CLI profile, so a second check on the same
 * machine waits for the first to finish (up to `waitMs`) instead of failing.
 */
export async function startManagementApi(options: {
  projectRef: string;
  accessToken: string;
  port?: number;
  waitMs?: number;
}): Promise<ManagementApi> {
  const port = options.port ?? LOCAL_PROFILE_PORT;
  const recording: ApiRecording = { uploads: [], bulkUpdates: [], unexpected: [] };
  const records = new Map<string, FunctionRecord>();
  const projectPath = `/v1/projects/${options.projectRef}`;

  async function deploy(req: Request, url: URL): Promise<Response> {
    const slug = url.searchParams.get("slug");
    if (!slug) return message(400, "slug is required");
    let form: FormData;
    try {
      form = await req.formData();
    } catch (err) {
      return message(400, `invalid multipart body: ${err}`);
    }
    let metadata: Record<string, unknown>;
    try {
      metadata = JSON.parse(String(form.get("metadata")));
    } catch {
      return message(400, "metadata part missing or not JSON");
    }
    const files: UploadedFile[] = [];
    for (const part of form.getAll("file")) {
      if (typeof part === "string") return message(400, "file parts must be files");
      files.push({ name: part.name, content: new Uint8Array(await part.arrayBuffer()) });
    }
    if (files.length === 0) return message(400, "no files uploaded");
    const now = Date.now();
    const previous = records.get(slug);
    const record: FunctionRecord = {
      id: previous?.id ?? crypto.randomUUID(),
      slug,
      name: String(metadata.name ?? slug),
      status: "ACTIVE",
      version: (previous?.version ?? 0) + 1,
      created_at: previous?.created_at ?? now,
      updated_at: now,
      verify_jwt: metadata.verify_jwt !== false,
      import_map: Boolean(metadata.import_map_path),
      entrypoint_path: String(metadata.entrypoint_path ?? ""),
      import_map_path: String(metadata.import_map_path ?? ""),
    };
    records.set(slug, record);
    recording.uploads.push({
      slug,
      bundleOnly: url.searchParams.get("bundleOnly") === "true",
      metadata,
      files,
      record,
    });
    return json(record, 201);
  }

  async function bulkUpdate(req: Request): Promise<Response> {
    let body: unknown;
    try {
      body = await req.json();
    } catch {
      return message(400, "body must be a JSON array");
    }
    if (!Array.isArray(body)) return message(400, "body must be a JSON array");
    recording.bulkUpdates.push(body);
    const known = [...records.values()];
    const updated = body.map((item) => known.find((r) => r.id === item?.id)).filter((r) => !!r);
    if (updated.length !== body.length) return message(400, "unknown function id in bulk update");
    return json({ functions: updated });
  }

  function project(): Response {
    return json({
      id: options.projectRef,
      ref: options.projectRef,
      organization_id: "deploy-check",
      organization_slug: "deploy-check",
      name: "deploy-check",
      region: "us-east-1",
      created_at: new Date(0).toISOString(),
      status: "ACTIVE_HEALTHY",
      database: {
        host: `db.${options.projectRef}.supabase.red`,
        version: "15.8.1",
        postgres_engine: "15",
        release_channel: "ga",
      },
    });
  }

  async function route(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (req.headers.get("authorization") !== `Bearer ${options.accessToken}`) {
      return message(401, "Unauthorized");
    }
    if (url.pathname !== projectPath && !url.pathname.startsWith(`${projectPath}/`)) {
      return message(404, "Project not found");
    }
    const rest = url.pathname.slice(projectPath.length);
    if (req.method === "POST" && rest === "/functions/deploy") return await deploy(req, url);
    if (req.method === "PUT" && rest === "/functions") return await bulkUpdate(req);
    if (req.method === "GET" && rest === "/functions") return json([...records.values()]);
    if (req.method === "GET" && rest === "") return project();
    return message(404, "Not Found");
  }

  const handler = async (req: Request): Promise<Response> => {
    const res = await route(req);
    if (res.status >= 400) {
      const url = new URL(req.url);
      recording.unexpected.push(`${req.method} ${url.pathname}${url.search} -> ${res.status}`);
    }
    return res;
  };

  const deadline = Date.now() + (options.waitMs ?? 300_000);
  let announced = false;
  while (true) {
    try {
      const server = listen(handler, port);
      return { recording, close: () => server.shutdown() };
    } catch (err) {
      if (!(err instanceof Deno.errors.AddrInUse) || Date.now() > deadline) {
        throw new Error(
          `the Management API stand-in cannot listen on 127.0.0.1:${port} ` +
            `(the address of the CLI's supabase-local profile): ${err}`,
        );
      }
      if (!announced) {
        console.error(`[deploy-check] 127.0.0.1:${port} is busy (another deploy check?); waiting`);
        announced = true;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
