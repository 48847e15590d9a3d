-- Every Supabase Auth user gets a public.users row, so the app never has to create one and
-- the two can never disagree on id or e-mail.

create or replace function private.handle_new_auth_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.users (id, email, name, role)
  values (
    new.id,
    new.email,
    coalesce(nullif(trim(new.raw_user_meta_data ->> 'name'), ''), split_part(new.email, '@', 1)),
    -- Only app metadata can grant admin: users edit their own user metadata, never app
    -- metadata (that takes the service key).
    case when new.raw_app_meta_data ->> 'role' = 'admin' then 'admin' else 'user' end
  );
  return new;
end
$$;
comment on function private.handle_new_auth_user() is 'AFTER INSERT on auth.users: creates the matching public.users row (name from user metadata or the e-mail local part; admin only via app metadata).';
revoke all on function private.handle_new_auth_user() from public;

-- on_auth_user_created: creates public.users for each new auth user. (Documented here, not
-- with `comment on trigger`: auth.users belongs to supabase_auth_admin, and on hosted Supabase
-- postgres may add triggers to it but not comment on them.)
create trigger on_auth_user_created
  after insert on auth.users
  for each row execute function private.handle_new_auth_user();

create or replace function private.handle_auth_user_updated()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.users
  set email = new.email,
      last_login = coalesce(new.last_sign_in_at, last_login)
  where id = new.id;
  return new;
end
$$;
comment on function private.handle_auth_user_updated() is 'AFTER UPDATE on auth.users: copies e-mail changes and the last sign-in time to public.users.';
revoke all on function private.handle_auth_user_updated() from public;

-- on_auth_user_updated: keeps public.users.email and last_login in step with auth.users (no
-- `comment on trigger`, for the same reason as above).
create trigger on_auth_user_updated
  after update of email, last_sign_in_at on auth.users
  for each row
  when (old.email is distinct from new.email or old.last_sign_in_at is distinct from new.last_sign_in_at)
  execute function private.handle_auth_user_updated();
