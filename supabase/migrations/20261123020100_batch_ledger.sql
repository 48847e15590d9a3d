-- The batch ledger: what the seed schema lacks for a crash-safe, retrying, concurrent chain of
-- process-batch links (see supabase/functions/process-batch). One workflow_batch_results row
-- per prompt is the unit of work; a link leases rows, and only the holder of the current lease
-- token may write a row's outcome.

-- Operational knobs, one row. In a table (not GUCs) so they can be changed at run time
-- without a deploy and read inside the same transaction that enforces them.
create table private.batch_settings (
  id boolean primary key default true check (id),
  default_concurrency integer not null default 10 check (default_concurrency between 1 and 50),
  client_concurrency integer not null default 20 check (client_concurrency >= 1),
  global_concurrency integer not null default 100 check (global_concurrency >= 1),
  max_attempts integer not null default 4 check (max_attempts between 1 and 20),
  backoff_base_ms integer not null default 1000 check (backoff_base_ms >= 0),
  backoff_max_ms integer not null default 60000 check (backoff_max_ms >= 0),
  lease_seconds integer not null default 180 check (lease_seconds between 1 and 3600),
  kick_grace_seconds integer not null default 20 check (kick_grace_seconds >= 0),
  response_ttl interval not null default interval '1 hour',
  cron_history_ttl interval not null default interval '1 day'
);
comment on table private.batch_settings is 'Batch processing knobs (single row); read by the claim, retry, sweep and cleanup functions.';
comment on column private.batch_settings.default_concurrency is 'Items in flight per execution when the workflow config has no concurrency.';
comment on column private.batch_settings.client_concurrency is 'Items in flight across all executions of one client (protects the client''s Gemini quota).';
comment on column private.batch_settings.global_concurrency is 'Items in flight across the whole platform.';
comment on column private.batch_settings.max_attempts is 'Generation attempts per item before a transient error becomes a failure.';
comment on column private.batch_settings.backoff_base_ms is 'First retry delay; doubles per attempt (with jitter), never below Gemini''s RetryInfo delay.';
comment on column private.batch_settings.backoff_max_ms is 'Upper bound of the exponential part of the retry delay.';
comment on column private.batch_settings.lease_seconds is 'How long a claimed item belongs to its link; must exceed one generation + upload. Expired leases are re-claimable.';
comment on column private.batch_settings.kick_grace_seconds is 'The sweep re-kicks a stalled execution only if it was not kicked this recently.';
comment on column private.batch_settings.response_ttl is 'net._http_response rows older than this are deleted by the cleanup job.';
comment on column private.batch_settings.cron_history_ttl is 'cron.job_run_details rows older than this are deleted by the cleanup job.';
insert into private.batch_settings default values;
revoke all on private.batch_settings from public, anon, authenticated, service_role;

-- Executions: cancellation, idempotent starts, per-execution concurrency, price snapshot and
-- the chain's bookkeeping.
alter table public.workflow_executions drop constraint workflow_executions_status_check;
alter table public.workflow_executions add constraint workflow_executions_status_check
  check (status in ('pending', 'processing', 'completed', 'failed', 'cancelled'));

alter table public.workflow_executions
  add column idempotency_key text check (length(idempotency_key) between 1 and 200),
  add column request_hash text check (length(request_hash) between 1 and 200),
  add column concurrency integer not null default 10 check (concurrency between 1 and 50),
  add column unit_cost numeric(10, 4) not null default 0 check (unit_cost >= 0),
  add column unit_revenue numeric(10, 4) not null default 0 check (unit_revenue >= 0),
  add column last_kicked_at timestamptz,
  add column storage_reconciled_at timestamptz;
comment on column public.workflow_executions.status is 'pending -> processing -> completed | failed, or cancelled by a member; written by the service and checked functions only.';
comment on column public.workflow_executions.idempotency_key is 'Idempotency-Key header of the start request, unique per starting user.';
comment on column public.workflow_executions.request_hash is 'Keyed hash (HMAC) of the start request body: a replay with another body is refused (409).';
comment on column public.workflow_executions.concurrency is 'Items of this execution generated at once (from workflow config concurrency, else the default knob).';
comment on column public.workflow_executions.unit_cost is 'Provider cost per generated image, copied from the template when the run starts (billing history does not move with price changes).';
comment on column public.workflow_executions.unit_revenue is 'Price per generated image charged to the client, copied from the template when the run starts.';
comment on column public.workflow_executions.last_kicked_at is 'When process-batch was last asked (pg_net) to work on this execution; the sweep uses it to avoid kick storms.';
comment on column public.workflow_executions.storage_reconciled_at is 'When the finished execution''s storage folder was checked for objects no item references (orphans removed).';

-- Scoped per user: two members may pick the same key independently.
create unique index workflow_executions_idempotency_key
  on public.workflow_executions (triggered_by_user_id, idempotency_key)
  where idempotency_key is not null;
comment on index public.workflow_executions_idempotency_key is 'One execution per (user, Idempotency-Key); the start insert uses it as its ON CONFLICT target.';

-- The sweep visits only unfinished executions.
create index workflow_executions_unfinished
  on public.workflow_executions (created_at)
  where completed_at is null;
comment on index public.workflow_executions_unfinished is 'Executions the sweep must look at (not yet finalised).';

-- Keyset pagination of the list endpoint: newest first within a client.
create index workflow_executions_client_page
  on public.workflow_executions (client_id, created_at desc, id desc);
comment on index public.workflow_executions_client_page is 'Keyset pagination of executions per client (created_at desc, id desc).';

-- Ledger rows: pending (queued) and cancelled states, attempts, backoff and the lease. The
-- column default stays 'processing' as in the seed schema (fixtures rely on it); the
-- processor always writes the status explicitly.
alter table public.workflow_batch_results drop constraint workflow_batch_results_status_check;
alter table public.workflow_batch_results add constraint workflow_batch_results_status_check
  check (status in ('pending', 'processing', 'completed', 'failed', 'cancelled'));

alter table public.workflow_batch_results
  add column attempts integer not null default 0 check (attempts >= 0),
  add column next_attempt_at timestamptz not null default now(),
  add column leased_until timestamptz,
  add column lease_token uuid,
  add column pending_storage_path text;
comment on column public.workflow_batch_results.status is 'pending (queued) -> processing (leased by a link) -> completed | failed | cancelled.';
comment on column public.workflow_batch_results.attempts is 'Generation attempts so far (incremented at each claim).';
comment on column public.workflow_batch_results.next_attempt_at is 'A pending item is not claimed before this (retry backoff).';
comment on column public.workflow_batch_results.leased_until is 'While processing: the lease end; after it the item is re-claimable (its link is presumed dead).';
comment on column public.workflow_batch_results.lease_token is 'Token of the current claim; outcome writes must present it, so a stale link cannot double-write.';
comment on column public.workflow_batch_results.pending_storage_path is 'Object name the current attempt uploads to, recorded before the upload so a crash leaves a trace to clean.';

-- "Never two results for one item", and never one object for two items.
create unique index workflow_batch_results_storage_path
  on public.workflow_batch_results (result_storage_path)
  where result_storage_path is not null;
comment on index public.workflow_batch_results_storage_path is 'An object backs at most one result.';

-- The claim: due pending items of one execution in prompt order.
create index workflow_batch_results_claimable
  on public.workflow_batch_results (execution_id, batch_index)
  where status = 'pending';
comment on index public.workflow_batch_results_claimable is 'Claim query: pending items of an execution in batch order (next_attempt_at filtered on the few rows).';

-- Concurrency caps and the sweep count in-flight items; there are few of them.
create index workflow_batch_results_in_flight
  on public.workflow_batch_results (execution_id, leased_until)
  where status = 'processing';
comment on index public.workflow_batch_results_in_flight is 'In-flight items per execution and their lease ends (caps, expired-lease sweep).';
