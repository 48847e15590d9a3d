-- Row Level Security: the only authorization layer. Policies are for `authenticated` only
-- (anon has no grants; service_role bypasses RLS). Every helper call is wrapped in a
-- scalar subquery so it runs once per statement. One policy per operation; an operation
-- without a policy is refused.
--
-- Where the schema document's role matrix grants more than its table sections do, the
-- narrower reading wins (reasons below). Column-level limits that RLS cannot express live
-- in the guard triggers of the next migration.

alter table public.users enable row level security;
alter table public.clients enable row level security;
alter table public.client_members enable row level security;
alter table public.workflow_templates enable row level security;
alter table public.workflows enable row level security;
alter table public.workflow_requests enable row level security;
alter table public.workflow_executions enable row level security;
alter table public.workflow_batch_results enable row level security;
alter table public.support_tickets enable row level security;

-- users ---------------------------------------------------------------------------------
-- Rows are created by the auth trigger; accounts are changed by admins only.
create policy users_select on public.users for select to authenticated
  using (
    id = (select auth.uid())
    or (select private.is_admin())
    or id in (
      select cm.user_id from public.client_members cm
      where cm.client_id in (select private.my_client_ids())
    )
  );
comment on policy users_select on public.users is 'Own row, users sharing an active client with the caller, or everything for admins.';

create policy users_insert on public.users for insert to authenticated
  with check ((select private.is_admin()));
comment on policy users_insert on public.users is 'Admins only; normal rows come from the auth.users trigger.';

create policy users_update on public.users for update to authenticated
  using ((select private.is_admin()))
  with check ((select private.is_admin()));
comment on policy users_update on public.users is 'Admins only: role and status must not be self-service.';

create policy users_delete on public.users for delete to authenticated
  using ((select private.is_admin()));
comment on policy users_delete on public.users is 'Admins only (accounts are normally soft-deleted via status).';

-- clients -------------------------------------------------------------------------------
-- The role matrix says owners have ALL on their client, the table text says admin-only
-- writes. Owners may edit their contact details (guard trigger limits the columns);
-- creating, deleting and status changes stay with admins.
create policy clients_select on public.clients for select to authenticated
  using ((select private.is_admin()) or id in (select private.my_client_ids()));
comment on policy clients_select on public.clients is 'Members see their active clients; admins see all.';

create policy clients_insert on public.clients for insert to authenticated
  with check ((select private.is_admin()));
comment on policy clients_insert on public.clients is 'Admins only.';

create policy clients_update on public.clients for update to authenticated
  using ((select private.is_admin()) or id in (select private.my_owned_client_ids()))
  with check ((select private.is_admin()) or id in (select private.my_owned_client_ids()));
comment on policy clients_update on public.clients is 'Admins any column; owners their own client, limited to name, company_name and email by trigger guard_clients_update.';

create policy clients_delete on public.clients for delete to authenticated
  using ((select private.is_admin()));
comment on policy clients_delete on public.clients is 'Admins only (clients are normally soft-deleted via status).';

-- client_members ------------------------------------------------------------------------
-- Membership changes go through admins for now; owner-managed paths are checked functions
-- added later (a client must always keep an owner, which a bare policy cannot ensure).
create policy client_members_select on public.client_members for select to authenticated
  using ((select private.is_admin()) or client_id in (select private.my_client_ids()));
comment on policy client_members_select on public.client_members is 'Members see the memberships of their active clients; admins see all.';

create policy client_members_insert on public.client_members for insert to authenticated
  with check ((select private.is_admin()));
comment on policy client_members_insert on public.client_members is 'Admins only.';

create policy client_members_update on public.client_members for update to authenticated
  using ((select private.is_admin()))
  with check ((select private.is_admin()));
comment on policy client_members_update on public.client_members is 'Admins only.';

create policy client_members_delete on public.client_members for delete to authenticated
  using ((select private.is_admin()));
comment on policy client_members_delete on public.client_members is 'Admins only.';

-- workflow_templates --------------------------------------------------------------------
-- Templates carry internal cost and pricing: clients never see them.
create policy workflow_templates_select on public.workflow_templates for select to authenticated
  using ((select private.is_admin()));
comment on policy workflow_templates_select on public.workflow_templates is 'Admins only.';

create policy workflow_templates_insert on public.workflow_templates for insert to authenticated
  with check ((select private.is_admin()));
comment on policy workflow_templates_insert on public.workflow_templates is 'Admins only.';

create policy workflow_templates_update on public.workflow_templates for update to authenticated
  using ((select private.is_admin()))
  with check ((select private.is_admin()));
comment on policy workflow_templates_update on public.workflow_templates is 'Admins only.';

create policy workflow_templates_delete on public.workflow_templates for delete to authenticated
  using ((select private.is_admin()));
comment on policy workflow_templates_delete on public.workflow_templates is 'Admins only.';

-- workflows -----------------------------------------------------------------------------
-- The matrix gives owners ALL, but config decides model, max_prompts and price: a client
-- editing it would set its own bill. Admins write; members read.
create policy workflows_select on public.workflows for select to authenticated
  using ((select private.is_admin()) or client_id in (select private.my_client_ids()));
comment on policy workflows_select on public.workflows is 'Members see their clients'' workflows; admins see all.';

create policy workflows_insert on public.workflows for insert to authenticated
  with check ((select private.is_admin()));
comment on policy workflows_insert on public.workflows is 'Admins only (assignment from a template).';

create policy workflows_update on public.workflows for update to authenticated
  using ((select private.is_admin()))
  with check ((select private.is_admin()));
comment on policy workflows_update on public.workflows is 'Admins only: config decides model, limits and price.';

create policy workflows_delete on public.workflows for delete to authenticated
  using ((select private.is_admin()));
comment on policy workflows_delete on public.workflows is 'Admins only.';

-- workflow_requests ---------------------------------------------------------------------
-- Owners ask, admins decide. "Only admins can update request status": an owner may only
-- edit the notes of a request still pending (guard trigger) or withdraw it.
create policy workflow_requests_select on public.workflow_requests for select to authenticated
  using ((select private.is_admin()) or client_id in (select private.my_client_ids()));
comment on policy workflow_requests_select on public.workflow_requests is 'Members see their clients'' requests; admins see all.';

create policy workflow_requests_insert on public.workflow_requests for insert to authenticated
  with check (
    (select private.is_admin())
    or (client_id in (select private.my_owned_client_ids()) and status = 'pending')
  );
comment on policy workflow_requests_insert on public.workflow_requests is 'Owners file pending requests for their client; admins any.';

create policy workflow_requests_update on public.workflow_requests for update to authenticated
  using (
    (select private.is_admin())
    or (client_id in (select private.my_owned_client_ids()) and status = 'pending')
  )
  with check (
    (select private.is_admin())
    or (client_id in (select private.my_owned_client_ids()) and status = 'pending')
  );
comment on policy workflow_requests_update on public.workflow_requests is 'Admins any; owners only pending requests, notes only (trigger guard_workflow_requests_update).';

create policy workflow_requests_delete on public.workflow_requests for delete to authenticated
  using (
    (select private.is_admin())
    or (client_id in (select private.my_owned_client_ids()) and status = 'pending')
  );
comment on policy workflow_requests_delete on public.workflow_requests is 'Admins any; owners may withdraw pending requests.';

-- workflow_executions -------------------------------------------------------------------
-- The matrix gives members ALL, but status, output and timing are the processor's record
-- and the execution is a billing record: members only start runs, in their initial state,
-- as themselves, on an active workflow of that same client. Cancelling comes later as a
-- checked function.
create policy workflow_executions_select on public.workflow_executions for select to authenticated
  using ((select private.is_admin()) or client_id in (select private.my_client_ids()));
comment on policy workflow_executions_select on public.workflow_executions is 'Members see their clients'' executions; admins see all.';

create policy workflow_executions_insert on public.workflow_executions for insert to authenticated
  with check (
    ((select private.is_admin()) or client_id in (select private.my_client_ids()))
    and triggered_by_user_id = (select auth.uid())
    and status = 'pending'
    and output_data is null
    and started_at is null
    and completed_at is null
    and duration_seconds is null
    and error_message is null
    -- set-based, not a per-row function call: the workflow must be one the caller can see
    -- (workflows' own RLS), active, and of this same client
    and (workflow_id, client_id) in (
      select w.id, w.client_id from public.workflows w where w.status = 'active'
    )
  );
comment on policy workflow_executions_insert on public.workflow_executions is 'Members (and admins) start a pending run as themselves on an active workflow of that client.';

create policy workflow_executions_update on public.workflow_executions for update to authenticated
  using ((select private.is_admin()))
  with check ((select private.is_admin()));
comment on policy workflow_executions_update on public.workflow_executions is 'Admins only; the processor writes progress as service_role.';

create policy workflow_executions_delete on public.workflow_executions for delete to authenticated
  using ((select private.is_admin()));
comment on policy workflow_executions_delete on public.workflow_executions is 'Admins only: executions are billing records.';

-- workflow_batch_results ----------------------------------------------------------------
-- Written by the processor (service_role). The membership test goes through the caller's
-- executions, index-backed by workflow_executions(client_id).
create policy workflow_batch_results_select on public.workflow_batch_results for select to authenticated
  using (
    (select private.is_admin())
    or execution_id in (
      select e.id from public.workflow_executions e
      where e.client_id in (select private.my_client_ids())
    )
  );
comment on policy workflow_batch_results_select on public.workflow_batch_results is 'Members see results of their clients'' executions; admins see all.';

create policy workflow_batch_results_insert on public.workflow_batch_results for insert to authenticated
  with check ((select private.is_admin()));
comment on policy workflow_batch_results_insert on public.workflow_batch_results is 'Admins only; the processor writes as service_role.';

create policy workflow_batch_results_update on public.workflow_batch_results for update to authenticated
  using ((select private.is_admin()))
  with check ((select private.is_admin()));
comment on policy workflow_batch_results_update on public.workflow_batch_results is 'Admins only; the processor writes as service_role.';

create policy workflow_batch_results_delete on public.workflow_batch_results for delete to authenticated
  using ((select private.is_admin()));
comment on policy workflow_batch_results_delete on public.workflow_batch_results is 'Admins only.';

-- support_tickets -----------------------------------------------------------------------
-- Members open tickets as themselves and may close / reopen them (trigger
-- guard_support_tickets_update); triage (in_progress, resolved, priority, text) is the
-- support team's. Tickets are kept, not deleted.
create policy support_tickets_select on public.support_tickets for select to authenticated
  using ((select private.is_admin()) or client_id in (select private.my_client_ids()));
comment on policy support_tickets_select on public.support_tickets is 'Members see their clients'' tickets; admins see all.';

create policy support_tickets_insert on public.support_tickets for insert to authenticated
  with check (
    (select private.is_admin())
    or (
      client_id in (select private.my_client_ids())
      and user_id = (select auth.uid())
      and status = 'open'
    )
  );
comment on policy support_tickets_insert on public.support_tickets is 'Members open tickets for their client as themselves; admins any.';

create policy support_tickets_update on public.support_tickets for update to authenticated
  using ((select private.is_admin()) or client_id in (select private.my_client_ids()))
  with check ((select private.is_admin()) or client_id in (select private.my_client_ids()));
comment on policy support_tickets_update on public.support_tickets is 'Admins any; members only close or reopen (trigger guard_support_tickets_update).';

create policy support_tickets_delete on public.support_tickets for delete to authenticated
  using ((select private.is_admin()));
comment on policy support_tickets_delete on public.support_tickets is 'Admins only.';
