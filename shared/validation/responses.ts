// What the API answers (response shape version 1), as zod schemas: the frontends' response
// types (z.infer) and the API description's response schemas. Each resource is a loose object
// naming the fields a frontend relies on (the database may add columns; they come along).
import { z } from "zod";
import { uuid } from "./common.ts";
import { pageOf } from "./pages.ts";

/** The API's one timestamp format (RFC 3339, Postgres's fraction, numeric offset). */
export const timestamp = z.string().describe("RFC 3339, e.g. 2026-12-02T11:29:01.123456+00:00");

export const issue = z.object({ field: z.string(), message: z.string() });

/** Every error answer: {error: {code, message, details[]}}. */
export const errorResponse = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.array(issue) }),
});
export type ErrorResponse = z.infer<typeof errorResponse>;

const nullableText = z.string().nullable();

export const ticket = z.looseObject({
  id: uuid,
  client_id: uuid,
  user_id: uuid.nullable(),
  subject: z.string(),
  description: z.string(),
  status: z.string(),
  priority: z.string(),
  assigned_to: uuid.nullable(),
  execution_id: uuid.nullable(),
  created_at: timestamp,
  updated_at: timestamp,
});
export type Ticket = z.infer<typeof ticket>;

/** A file on a ticket or comment; its bytes are object `path` in bucket ticket-attachments. */
export const ticketAttachment = z.looseObject({
  id: uuid,
  comment_id: uuid.nullable(),
  is_internal: z.boolean(),
  uploaded_by: uuid.nullable(),
  file_name: z.string(),
  mime_type: z.string(),
  size_bytes: z.union([z.number(), z.string()]),
  path: z.string(),
  created_at: timestamp,
});

/** Where and how to upload an attachment's bytes (storage-js uploadToSignedUrl). */
export const signedUpload = z.object({
  bucket: z.string(),
  path: z.string(),
  token: z.string(),
  signed_url: z.string(),
  expires_at: timestamp,
});

/** The execution a ticket is about, as its reader may see it. */
export const ticketExecution = z.looseObject({
  id: uuid,
  workflow_id: uuid,
  status: z.string(),
  progress: z.object({ total: z.number(), completed: z.number(), failed: z.number() }),
});

export const comment = z.looseObject({
  id: uuid,
  author_id: uuid.nullable(),
  body: z.string(),
  is_internal: z.boolean(),
  created_at: timestamp,
});
export type Comment = z.infer<typeof comment>;

export const ticketHistoryEntry = z.looseObject({
  from_status: nullableText,
  to_status: z.string(),
  changed_by: uuid.nullable(),
  created_at: timestamp,
});

export const template = z.looseObject({
  id: uuid,
  name: z.string(),
  workflow_type: z.string(),
  config: z.record(z.string(), z.unknown()),
  cost_per_execution: z.number().nullable(),
  revenue_per_execution: z.number().nullable(),
  is_active: z.boolean(),
  created_at: timestamp,
});
export type Template = z.infer<typeof template>;

export const workflow = z.looseObject({
  id: uuid,
  client_id: uuid,
  template_id: uuid.nullable(),
  name: z.string(),
  status: z.string(),
  config: z.record(z.string(), z.unknown()),
  created_at: timestamp,
});
export type Workflow = z.infer<typeof workflow>;

export const workflowRequest = z.looseObject({
  id: uuid,
  client_id: uuid,
  workflow_id: uuid,
  status: z.string(),
  notes: nullableText,
  created_at: timestamp,
});

export const imageModel = z.looseObject({
  id: z.string(),
  family: z.string(),
  lifecycle: z.string(),
  retires_on: nullableText,
});

export const client = z.looseObject({
  id: uuid,
  name: z.string(),
  email: z.string(),
  status: z.string(),
  member_count: z.number(),
  created_at: timestamp,
});
export type Client = z.infer<typeof client>;

export const user = z.looseObject({
  id: uuid,
  email: z.string(),
  name: nullableText,
  role: z.string(),
  status: z.string(),
  created_at: timestamp,
});
export type User = z.infer<typeof user>;

export const member = z.looseObject({ client_id: uuid, user_id: uuid, role: z.string() });
export type Member = z.infer<typeof member>;

export const invitation = z.looseObject({ id: uuid, email: z.string(), role: z.string() });

export const auditEntry = z.looseObject({
  id: z.string(),
  client_id: uuid.nullable(),
  action: z.string(),
  table_name: z.string(),
  created_at: timestamp,
});

export const me = z.looseObject({
  profile: z.looseObject({ id: uuid, email: z.string() }),
  platform_role: z.string(),
  memberships: z.array(z.looseObject({ client_id: uuid, role: z.string() })),
  invitations: z.array(z.looseObject({ id: uuid })),
  capabilities: z.looseObject({}),
});
export type Me = z.infer<typeof me>;

export const progress = z.object({
  total: z.number(),
  pending: z.number(),
  processing: z.number(),
  completed: z.number(),
  failed: z.number(),
  cancelled: z.number(),
  done: z.number(),
  percent: z.number(),
});

export const executionResult = z.looseObject({
  batch_index: z.number(),
  prompt: z.string(),
  status: z.string(),
  error_code: nullableText,
  storage_path: nullableText,
  signed_url: nullableText,
  signed_url_expires_at: timestamp.nullable(),
});

export const execution = z.looseObject({
  id: uuid,
  workflow_id: uuid,
  client_id: uuid,
  status: z.string(),
  model: nullableText,
  error_code: nullableText,
  error_message: nullableText,
  created_at: timestamp,
  completed_at: timestamp.nullable(),
  progress: progress,
  cost: z.looseObject({ currency: z.string(), unit_revenue: z.number() }),
  results: z.array(executionResult).optional(),
  /** The execution whose failed/cancelled items this one re-runs (POST /:id/retry). */
  retry_of: uuid.nullable().optional(),
});
export type Execution = z.infer<typeof execution>;

export const executionSummary = z.looseObject({
  id: uuid,
  workflow_id: uuid,
  client_id: uuid,
  status: z.string(),
  unit_revenue: z.number(),
  created_at: timestamp,
});

export const cancellation = z.object({
  id: uuid,
  status: z.string(),
  cancelled_items: z.number(),
  in_flight: z.number(),
  completed_at: timestamp.nullable(),
});

/** `{<name>: resource}`: how a single resource is answered. */
export const wrapped = <K extends string, T extends z.ZodType>(name: K, schema: T) =>
  z.object({ [name]: schema } as { [P in K]: T });

// The answers of each route, by the name frontends import.
export const responses = {
  ticket: wrapped("ticket", ticket),
  ticketDetail: z.object({
    ticket,
    comments: z.array(comment),
    history: z.array(ticketHistoryEntry),
    attachments: z.array(ticketAttachment),
    execution: ticketExecution.nullable(),
  }),
  tickets: pageOf(ticket),
  ticketCounts: z.object({
    counts: z.object({
      open: z.number(),
      in_progress: z.number(),
      resolved: z.number(),
      closed: z.number(),
    }),
    total: z.number(),
  }),
  ticketDeleted: z.object({
    ticket: z.object({ id: uuid }),
    files_removed: z.number(),
    files_left: z.array(z.string()),
  }),
  attachment: z.object({ attachment: ticketAttachment, upload: signedUpload }),
  referenceUploads: z.object({
    client_id: uuid,
    limits: z.object({
      max_images: z.number(),
      max_image_bytes: z.number(),
      max_total_bytes: z.number(),
      mime_types: z.array(z.string()),
    }),
    uploads: z.array(signedUpload.extend({ mime_type: z.string(), size_bytes: z.number() })),
  }),
  comment: wrapped("comment", comment),
  template: wrapped("template", template),
  templates: pageOf(template),
  propagation: wrapped("propagation", z.looseObject({ dry_run: z.boolean() })),
  models: pageOf(imageModel),
  workflow: wrapped("workflow", workflow),
  workflows: pageOf(workflow),
  request: wrapped("request", workflowRequest),
  requests: pageOf(workflowRequest),
  rows: pageOf(z.looseObject({})),
  me: wrapped("me", me),
  members: z.object({
    client: z.looseObject({ id: uuid, name: z.string() }),
    members: z.array(z.looseObject({ user_id: uuid, role: z.string() })),
    invitations: z.array(invitation),
  }),
  member: wrapped("member", member),
  removed: wrapped("removed", member),
  invitationCreated: z.object({
    invitation,
    token: z.string(),
    notification: z.enum(["sent", "failed"]),
  }),
  invitation: wrapped("invitation", invitation),
  audit: pageOf(auditEntry),
  clientCreated: z.looseObject({ client, owner: member.nullable() }),
  client: wrapped("client", client),
  clients: pageOf(client),
  user: wrapped("user", user),
  users: pageOf(user),
  started: z.object({ execution, replayed: z.boolean() }),
  execution: wrapped("execution", execution),
  executions: pageOf(executionSummary),
  cancellation: wrapped("cancellation", cancellation),
  health: z.object({ ok: z.boolean(), user_id: uuid, db_role: z.string() }),
  accepted: z.object({ accepted: z.boolean(), execution_id: uuid }),
};

/** The response body type of each route's answer, e.g. `Responses["execution"]`. */
export type Responses = { [K in keyof typeof responses]: z.infer<(typeof responses)[K]> };
