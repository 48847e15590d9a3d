-- The RLS helpers again, same rules, in PL/pgSQL. Found by the "RLS at scale" benchmark
-- (bench/rls-at-scale.ts): a security definer SQL function is never inlined, and its query is
-- parsed and planned again on every call, i.e. once per statement per helper. That cost
-- 0.3-0.5 ms per call (33-40 buffer hits of catalog and index lookups), more than the member
-- page queries themselves. PL/pgSQL keeps the plan of its query for the life of the
-- connection, so a call costs ~0.03-0.05 ms. Behaviour (who gets what) is unchanged.

create or replace function private.is_admin()
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (
    select 1
    from public.users u
    where u.id = (select auth.uid())
      and u.role = 'admin'
      and u.status = 'active'
  );
end
$$;
comment on function private.is_admin() is 'True when the caller is an active platform admin (PL/pgSQL: its plan is cached per connection).';

create or replace function private.my_client_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query
  select cm.client_id
  from public.client_members cm
  join public.users u on u.id = cm.user_id
  join public.clients c on c.id = cm.client_id
  where cm.user_id = (select auth.uid())
    and u.status = 'active'
    and c.status = 'active';
end
$$;
comment on function private.my_client_ids() is 'Active clients the caller (an active user) is a member of (PL/pgSQL: its plan is cached per connection).';

create or replace function private.my_owned_client_ids()
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query
  select cm.client_id
  from public.client_members cm
  join public.users u on u.id = cm.user_id
  join public.clients c on c.id = cm.client_id
  where cm.user_id = (select auth.uid())
    and cm.role = 'owner'
    and u.status = 'active'
    and c.status = 'active';
end
$$;
comment on function private.my_owned_client_ids() is 'Active clients the caller (an active user) owns (PL/pgSQL: its plan is cached per connection).';
