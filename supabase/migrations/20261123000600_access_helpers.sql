-- Who the caller is, answered once per statement. Policies call these wrapped in a scalar
-- subquery, e.g. `client_id in (select private.my_client_ids())`, so Postgres evaluates them
-- once, not per row. security definer: they read users / client_members / clients without
-- recursing into those tables' own policies. Suspended or deleted users, and members of
-- suspended or deleted clients, get nothing here and so lose access in RLS itself.

create or replace function private.is_admin()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1
    from public.users u
    where u.id = (select auth.uid())
      and u.role = 'admin'
      and u.status = 'active'
  )
$$;
comment on function private.is_admin() is 'True when the caller is an active platform admin.';

create or replace function private.my_client_ids()
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select cm.client_id
  from public.client_members cm
  join public.users u on u.id = cm.user_id
  join public.clients c on c.id = cm.client_id
  where cm.user_id = (select auth.uid())
    and u.status = 'active'
    and c.status = 'active'
$$;
comment on function private.my_client_ids() is 'Active clients the caller (an active user) is a member of.';

create or replace function private.my_owned_client_ids()
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select cm.client_id
  from public.client_members cm
  join public.users u on u.id = cm.user_id
  join public.clients c on c.id = cm.client_id
  where cm.user_id = (select auth.uid())
    and cm.role = 'owner'
    and u.status = 'active'
    and c.status = 'active'
$$;
comment on function private.my_owned_client_ids() is 'Active clients the caller (an active user) owns.';


revoke all on function private.is_admin() from public, anon;
revoke all on function private.my_client_ids() from public, anon;
revoke all on function private.my_owned_client_ids() from public, anon;
grant execute on function private.is_admin() to authenticated;
grant execute on function private.my_client_ids() to authenticated;
grant execute on function private.my_owned_client_ids() to authenticated;
