// THE error-code catalogue: every `error.code` the API can answer, with its HTTP status and
// what it means. TypeScript throws only these (HttpError takes a catalogued code and reads the
// status from here); SQL raises them as the hint of a custom SQLSTATE (MS400 … MS429) whose
// status must agree. tests/hardening/error_catalogue.test.ts fails on a code used in code or
// SQL that is missing here, on a SQL status that disagrees, and on a README table that is out
// of date.

export interface ErrorCodeInfo {
  status: number;
  meaning: string;
}

const catalogue = {
  // 400: the request itself is malformed ----------------------------------------------------------
  bad_request: { status: 400, meaning: "a database rule refused the input as malformed" },
  invalid_request: {
    status: 400,
    meaning: "a body, query, path or header field is invalid; details name each one",
  },
  invalid_json: { status: 400, meaning: "the body is empty, not UTF-8 or not JSON" },
  invalid_input: { status: 400, meaning: "a value has a format the database cannot read" },
  owner_required: { status: 400, meaning: "name exactly one owner for the new client" },
  too_many_urls: { status: 400, meaning: "too many signed URLs asked for at once" },
  // 401: who is calling is unknown ----------------------------------------------------------------
  unauthorized: { status: 401, meaning: "no token, or a bad, expired or forged one" },
  // 403: visible, but not allowed -----------------------------------------------------------------
  not_signed_in: { status: 403, meaning: "the database saw no signed-in user" },
  forbidden: {
    status: 403,
    meaning: "you can see the row but may not do this (RLS, column guard, grant)",
  },
  admin_only: { status: 403, meaning: "only platform admins may do this" },
  owner_only: { status: 403, meaning: "only the client's owners (or admins) may do this" },
  client_owner_only: {
    status: 403,
    meaning: "only the client's own owners may do this (not admins)",
  },
  staff_only: { status: 403, meaning: "only platform staff may do this" },
  account_not_active: { status: 403, meaning: "your account is suspended or deleted" },
  email_not_confirmed: {
    status: 403,
    meaning: "accepting by id needs a confirmed e-mail address",
  },
  invitation_email_mismatch: {
    status: 403,
    meaning: "the invitation is for another e-mail address",
  },
  // 404: absent, or not visible to you ------------------------------------------------------------
  not_found: { status: 404, meaning: "the row or route is absent or not visible to you" },
  client_not_found: { status: 404, meaning: "no such client (or not visible to you)" },
  user_not_found: { status: 404, meaning: "no such user (or not visible to you)" },
  profile_not_found: { status: 404, meaning: "the signed-in user has no profile row" },
  template_not_found: { status: 404, meaning: "no such template (or not visible to you)" },
  workflow_not_found: { status: 404, meaning: "no such workflow (or not visible to you)" },
  ticket_not_found: { status: 404, meaning: "no such ticket (or not visible to you)" },
  comment_not_found: { status: 404, meaning: "no such comment (or not visible to you)" },
  invitation_not_found: { status: 404, meaning: "no such invitation (or not yours)" },
  // 409: conflicts with what exists ---------------------------------------------------------------
  conflict: { status: 409, meaning: "this already exists, or is still in use" },
  already_member: { status: 409, meaning: "the person is already a member of the client" },
  already_finished: { status: 409, meaning: "the execution has already finished" },
  execution_running: {
    status: 409,
    meaning: "the execution is still running; retry or archive it once it has finished",
  },
  api_key_already_stored: { status: 409, meaning: "the execution already holds an API key" },
  idempotency_key_reused: {
    status: 409,
    meaning: "this Idempotency-Key was used with another body",
  },
  invitation_already_accepted: { status: 409, meaning: "the invitation was already accepted" },
  invitation_not_pending: { status: 409, meaning: "the invitation is no longer pending" },
  user_exists: { status: 409, meaning: "the e-mail address already has an account" },
  // 413 / 415: the body itself --------------------------------------------------------------------
  payload_too_large: { status: 413, meaning: "the body is larger than 25 MiB" },
  unsupported_media_type: { status: 415, meaning: "the body is not application/json" },
  // 422: a domain rule refused it -----------------------------------------------------------------
  invalid_config: { status: 422, meaning: "a workflow or template config has the wrong shape" },
  template_inactive: { status: 422, meaning: "the template or workflow is not active" },
  request_already_decided: { status: 422, meaning: "the request was already approved/rejected" },
  unprocessable: { status: 422, meaning: "a data rule (constraint) refused the change" },
  api_key_not_accepted: { status: 422, meaning: "this workflow does not take a client API key" },
  api_key_required: { status: 422, meaning: "this workflow needs the client's own API key" },
  api_key_rejected: {
    status: 422,
    meaning: "the client's stored Gemini key was rejected by Google; set a new one",
  },
  aspect_ratio_not_supported: {
    status: 422,
    meaning: "the workflow or its model does not offer this aspect ratio",
  },
  assignee_not_staff: { status: 422, meaning: "tickets are assigned to platform staff only" },
  client_deleted: { status: 422, meaning: "a deleted client cannot change any more" },
  client_not_active: { status: 422, meaning: "the client is suspended or deleted" },
  comment_not_on_ticket: { status: 422, meaning: "the comment belongs to another ticket" },
  execution_not_of_client: {
    status: 422,
    meaning: "a ticket's execution must be one of the ticket's client",
  },
  image_size_not_supported: {
    status: 422,
    meaning: "the workflow or its model does not offer this image size",
  },
  invalid_retry: {
    status: 422,
    meaning: "a retry may re-run only the original's failed or cancelled items",
  },
  content_purged: {
    status: 422,
    meaning: "retention removed the execution's prompts and images",
  },
  nothing_to_retry: { status: 422, meaning: "the execution has no failed (or cancelled) items" },
  invalid_prompt: { status: 422, meaning: "a prompt is blank or too long" },
  invalid_transition: { status: 422, meaning: "the ticket cannot move to this status" },
  invitation_expired: { status: 422, meaning: "the invitation has expired" },
  last_owner: { status: 422, meaning: "a client must keep at least one active owner" },
  model_family_mismatch: {
    status: 422,
    meaning: "the model does not belong to the workflow type's family",
  },
  model_unavailable: { status: 422, meaning: "the model is retired or unknown to the catalogue" },
  no_prompts: { status: 422, meaning: "the execution has no prompts" },
  override_not_allowed: {
    status: 422,
    meaning: "the template does not list this key in `overridable`",
  },
  own_account: { status: 422, meaning: "admins cannot change their own account's status" },
  owner_not_active: { status: 422, meaning: "the intended owner is not an active user" },
  propagation_blocked: {
    status: 422,
    meaning: "some workflows would break; nothing was propagated",
  },
  reference_image_not_found: {
    status: 422,
    meaning: "no uploaded reference image at that path in your client's folder",
  },
  reference_image_too_large: {
    status: 422,
    meaning: "a reference image (or all of them) is over the model's byte limit",
  },
  reference_image_type_not_allowed: {
    status: 422,
    meaning: "the model does not take this type, or the object is not the declared type",
  },
  reference_images_not_supported: {
    status: 422,
    meaning: "this workflow does not take reference images",
  },
  revenue_below_cost: {
    status: 422,
    meaning: "a size's revenue is below the catalogue's cost for it",
  },
  too_many_prompts: { status: 422, meaning: "more prompts than the workflow's max_prompts" },
  too_many_attachments: { status: 422, meaning: "a ticket has at most 20 attachments" },
  too_many_reference_images: {
    status: 422,
    meaning: "more reference images than the workflow allows",
  },
  // 429: a rate or quota bound --------------------------------------------------------------------
  too_many_requests: { status: 429, meaning: "a rate bound refused it; Retry-After says when" },
  quota_exceeded: {
    status: 429,
    meaning: "a client quota refused it; details name the quota; Retry-After says when",
  },
  // 5xx: the server's side ------------------------------------------------------------------------
  internal_error: { status: 500, meaning: "a bug or misconfiguration; logged, nothing leaked" },
  auth_unavailable: { status: 502, meaning: "Supabase Auth refused or could not be reached" },
  storage_unavailable: {
    status: 502,
    meaning: "Supabase Storage refused or could not be reached; retry",
  },
  retry_later: { status: 503, meaning: "the database was busy (serialization); retry" },
  unavailable: { status: 503, meaning: "the database is unreachable or timed out; retry" },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof catalogue;

export const errorCodes: Readonly<Record<ErrorCode, ErrorCodeInfo>> = catalogue;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(catalogue, code);
}

/** The status a catalogued code is answered with. */
export function statusOf(code: ErrorCode): number {
  return catalogue[code].status;
}
