-- Keep updated_at truthful on every table that has it (executions and batch results have
-- none: their lifecycle columns say when they changed).
create trigger set_updated_at before update on public.users
  for each row execute function private.set_updated_at();
comment on trigger set_updated_at on public.users is 'Stamps updated_at on every update.';

create trigger set_updated_at before update on public.clients
  for each row execute function private.set_updated_at();
comment on trigger set_updated_at on public.clients is 'Stamps updated_at on every update.';

create trigger set_updated_at before update on public.client_members
  for each row execute function private.set_updated_at();
comment on trigger set_updated_at on public.client_members is 'Stamps updated_at on every update.';

create trigger set_updated_at before update on public.workflow_templates
  for each row execute function private.set_updated_at();
comment on trigger set_updated_at on public.workflow_templates is 'Stamps updated_at on every update.';

create trigger set_updated_at before update on public.workflows
  for each row execute function private.set_updated_at();
comment on trigger set_updated_at on public.workflows is 'Stamps updated_at on every update.';

create trigger set_updated_at before update on public.workflow_requests
  for each row execute function private.set_updated_at();
comment on trigger set_updated_at on public.workflow_requests is 'Stamps updated_at on every update.';

create trigger set_updated_at before update on public.support_tickets
  for each row execute function private.set_updated_at();
comment on trigger set_updated_at on public.support_tickets is 'Stamps updated_at on every update.';
