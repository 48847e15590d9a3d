-- The nine tables of the schema document (seeds/000). Where that document contradicts
-- itself, the fix is noted next to the column or index. Common choices:
--   * primary keys default to gen_random_uuid() (core Postgres) instead of
--     uuid_generate_v4(): same result, no extension lookup;
--   * created_at / updated_at are NOT NULL (the document gives only the default);
--   * hard deletes of billing-relevant parents are refused (no cascade): clients and users
--     are soft-deleted through their status column, as the document's principles say.

-- users ---------------------------------------------------------------------------------
create table public.users (
  -- Fix: the document gives uuid_generate_v4() but also says this IS the Supabase Auth user
  -- id. So no default: the row is created from auth.users (see the auth sync migration) and
  -- goes away with it.
  id uuid primary key references auth.users (id) on delete cascade,
  -- NOT NULL on purpose, although Supabase Auth also knows phone-only and anonymous users
  -- (auth.users.email null): MasStock accounts are created by staff through Auth's admin API
  -- with an e-mail, invitations are matched by e-mail, and config.toml keeps phone and
  -- anonymous sign-ins off. Should such a user ever be created, the sync trigger's insert fails
  -- and so does the Auth sign-up: no account without a contact address, fail closed.
  email text not null,
  name text not null,
  -- Default 'user' (the document has none): least privilege when a caller omits it.
  role text not null default 'user' check (role in ('admin', 'user')),
  status text not null default 'active' check (status in ('active', 'suspended', 'deleted')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_login timestamptz,
  -- The unique constraint carries the document's index name, so there is one index, not two.
  constraint idx_users_email unique (email)
);
comment on table public.users is 'Platform accounts, one per Supabase Auth user. Client membership lives in client_members.';
comment on column public.users.id is 'Same id as auth.users.id (the JWT sub claim).';
comment on column public.users.email is 'Login e-mail, copied from auth.users; required: phone-only and anonymous Auth users are refused.';
comment on column public.users.role is 'Platform role: admin = MasStock staff (all access), user = everyone else.';
comment on column public.users.status is 'Soft delete / suspension. Only active users pass the RLS helpers.';
comment on column public.users.last_login is 'Copied from auth.users.last_sign_in_at by the auth sync trigger.';

-- Fix: the document's example creates idx_users_client_id, but users has no client_id (the
-- N:N membership moved to client_members, indexed on user_id there).
create index idx_users_role on public.users (role);
create index idx_users_status on public.users (status);

-- clients -------------------------------------------------------------------------------
create table public.clients (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  company_name text,
  email text not null,
  status text not null default 'active' check (status in ('active', 'suspended', 'deleted')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.clients is 'Client organisations that buy workflows.';
comment on column public.clients.email is 'Contact e-mail of the organisation (not a login).';
comment on column public.clients.status is 'Soft delete / suspension, admin-only. Members of a non-active client lose access.';

create index idx_clients_status on public.clients (status);
create index idx_clients_email on public.clients (email);

-- client_members ------------------------------------------------------------------------
create table public.client_members (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id) on delete cascade,
  user_id uuid not null references public.users (id) on delete cascade,
  role text not null default 'collaborator' check (role in ('owner', 'collaborator')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint idx_client_members_unique unique (client_id, user_id)
);
comment on table public.client_members is 'Membership of users in clients (N:N) with the role inside that client.';
comment on column public.client_members.role is 'owner: manages the client (members, requests, settings); collaborator: runs workflows.';

create index idx_client_members_client_id on public.client_members (client_id);
-- Every RLS helper starts from the caller's memberships: this index carries them all.
create index idx_client_members_user_id on public.client_members (user_id);

-- workflow_templates --------------------------------------------------------------------
create table public.workflow_templates (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  description text,
  icon text default 'zap',
  workflow_type text not null,
  config jsonb not null default '{}'::jsonb,
  -- Fix: the document declares decimal(10,2) yet seeds 0.039, which (10,2) would round to
  -- 0.04. Per-image list prices need four decimals.
  cost_per_execution numeric(10, 4) not null default 0 check (cost_per_execution >= 0),
  revenue_per_execution numeric(10, 4) not null default 0 check (revenue_per_execution >= 0),
  is_active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.workflow_templates is 'Admin-only catalogue of workflows that can be assigned to clients.';
comment on column public.workflow_templates.workflow_type is 'Processing kind, e.g. nano_banana (Gemini Flash image) or pro_banana (Gemini Pro image).';
comment on column public.workflow_templates.config is 'Default workflow config: model, max_prompts, requires_api_key, supports_reference_images, aspect_ratios, image_sizes.';
comment on column public.workflow_templates.cost_per_execution is 'Provider cost in USD per generated image (one prompt), despite the historical column name.';
comment on column public.workflow_templates.revenue_per_execution is 'Price charged to the client in USD per generated image (one prompt).';
comment on column public.workflow_templates.is_active is 'Whether the template may still be assigned to clients.';

create index idx_workflow_templates_is_active on public.workflow_templates (is_active);
create index idx_workflow_templates_workflow_type on public.workflow_templates (workflow_type);

-- workflows -----------------------------------------------------------------------------
create table public.workflows (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  description text,
  status text not null default 'active' check (status in ('active', 'inactive')),
  config jsonb not null default '{}'::jsonb,
  client_id uuid references public.clients (id),
  -- A template may be deleted later; the assigned workflow keeps its own config copy.
  template_id uuid references public.workflow_templates (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.workflows is 'Workflows assigned to a client (usually copied from a template). Admin-written.';
comment on column public.workflows.config is 'Effective config (model, max_prompts, requires_api_key, ...); decides cost, so only admins write it.';
comment on column public.workflows.status is 'Only active workflows can be started.';
comment on column public.workflows.template_id is 'Template this workflow was assigned from, if any.';

create index idx_workflows_status on public.workflows (status);
create index idx_workflows_client_id on public.workflows (client_id);
create index idx_workflows_template_id on public.workflows (template_id);

-- workflow_requests ---------------------------------------------------------------------
create table public.workflow_requests (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id),
  workflow_id uuid not null references public.workflows (id),
  status text not null default 'pending' check (status in ('pending', 'approved', 'rejected')),
  notes text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.workflow_requests is 'Requests from client owners for a workflow; admins approve or reject.';
comment on column public.workflow_requests.status is 'pending until an admin decides (approved / rejected).';
comment on column public.workflow_requests.notes is 'Free text from the requester; the only column an owner may edit, while pending.';

create index idx_workflow_requests_client_id on public.workflow_requests (client_id);
create index idx_workflow_requests_workflow_id on public.workflow_requests (workflow_id);
create index idx_workflow_requests_status on public.workflow_requests (status);

-- workflow_executions -------------------------------------------------------------------
create table public.workflow_executions (
  id uuid primary key default gen_random_uuid(),
  workflow_id uuid not null references public.workflows (id),
  client_id uuid not null references public.clients (id),
  -- Fix: the document's example row says user_id; the column is triggered_by_user_id. An
  -- execution is a billing record, so it outlives the user who started it.
  triggered_by_user_id uuid references public.users (id) on delete set null,
  status text not null default 'pending' check (status in ('pending', 'processing', 'completed', 'failed')),
  input_data jsonb not null,
  output_data jsonb,
  started_at timestamptz,
  completed_at timestamptz,
  duration_seconds integer,
  error_message text,
  created_at timestamptz not null default now()
);
comment on table public.workflow_executions is 'One run of a workflow over a batch of prompts; also the billing record.';
comment on column public.workflow_executions.triggered_by_user_id is 'User who started the run (must be the caller when a member inserts).';
comment on column public.workflow_executions.input_data is 'Prompts and options as submitted ({prompts, reference_images, ...}).';
comment on column public.workflow_executions.output_data is 'Summary written by the batch processor ({successful, failed, total, ...}).';
comment on column public.workflow_executions.status is 'pending -> processing -> completed | failed; written by the service only.';

create index idx_workflow_executions_workflow_id on public.workflow_executions (workflow_id);
create index idx_workflow_executions_client_id on public.workflow_executions (client_id);
create index idx_workflow_executions_triggered_by on public.workflow_executions (triggered_by_user_id);
create index idx_workflow_executions_status on public.workflow_executions (status);
create index idx_workflow_executions_created_at on public.workflow_executions (created_at desc);

-- workflow_batch_results ----------------------------------------------------------------
create table public.workflow_batch_results (
  id uuid primary key default gen_random_uuid(),
  -- Results have no meaning without their execution.
  execution_id uuid not null references public.workflow_executions (id) on delete cascade,
  batch_index integer not null check (batch_index >= 0),
  prompt_text text not null,
  status text not null default 'processing' check (status in ('processing', 'completed', 'failed')),
  result_url text,
  result_storage_path text,
  error_message text,
  processing_time_ms integer,
  created_at timestamptz not null default now(),
  completed_at timestamptz,
  constraint idx_workflow_batch_results_execution_batch unique (execution_id, batch_index)
);
comment on table public.workflow_batch_results is 'One row per prompt of an execution: its status and generated image.';
comment on column public.workflow_batch_results.batch_index is '0-based position of the prompt in the execution input.';
comment on column public.workflow_batch_results.result_url is 'URL of the image (a signed URL or API path: the bucket is private).';
comment on column public.workflow_batch_results.result_storage_path is 'Object name in bucket workflow-results: <execution_id>/<batch_index>_<timestamp>.<ext>.';

create index idx_workflow_batch_results_execution_id on public.workflow_batch_results (execution_id);
create index idx_workflow_batch_results_status on public.workflow_batch_results (status);

-- support_tickets -----------------------------------------------------------------------
create table public.support_tickets (
  id uuid primary key default gen_random_uuid(),
  client_id uuid not null references public.clients (id),
  user_id uuid not null references public.users (id),
  subject text not null,
  description text not null,
  status text not null default 'open' check (status in ('open', 'in_progress', 'resolved', 'closed')),
  priority text not null default 'medium' check (priority in ('low', 'medium', 'high', 'urgent')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.support_tickets is 'Support tickets opened by client members.';
comment on column public.support_tickets.user_id is 'Member who opened the ticket (must be the caller when a member inserts).';
comment on column public.support_tickets.status is 'Admins move tickets freely; members may only close or reopen (see guard trigger).';

create index idx_support_tickets_client_id on public.support_tickets (client_id);
create index idx_support_tickets_user_id on public.support_tickets (user_id);
create index idx_support_tickets_status on public.support_tickets (status);
create index idx_support_tickets_priority on public.support_tickets (priority);
