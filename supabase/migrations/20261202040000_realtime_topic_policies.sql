-- Who may listen to live progress. Executions broadcast on private Realtime topics
-- `execution:<execution id>` (progress, finished) and `client:<client id>` (started, finished
-- for list views). Realtime authorizes a private channel by running the SELECT policies of
-- realtime.messages as the joining user, with realtime.topic() set to the topic; these
-- policies admit members of the execution's (or topic's) client and platform admins, through
-- the same helpers as the product's tables, so suspended users and members of suspended
-- clients are refused. anon never (the policy is for authenticated only). No INSERT policy:
-- clients cannot broadcast on these topics (Realtime drops a client's broadcast there).
-- realtime.messages belongs to Realtime, so its policies carry no `comment on` (hosted
-- postgres may create them, not comment on them).

create or replace function private.can_watch_topic(p_topic text)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_kind text := split_part(p_topic, ':', 1);
  v_id text := substr(p_topic, length(split_part(p_topic, ':', 1)) + 2);
begin
  -- Anything but an exact `<kind>:<uuid>` is nobody's topic (and must not raise: a policy
  -- error would read as a refusal anyway, but with a log line per attempt).
  if p_topic is null
    or v_id !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return false;
  end if;
  if v_kind = 'execution' then
    return exists (
      select 1 from public.workflow_executions e
      where e.id = v_id::uuid
        and ((select private.is_admin()) or e.client_id in (select private.my_client_ids()))
    );
  elsif v_kind = 'client' then
    return (select private.is_admin()) or v_id::uuid in (select private.my_client_ids());
  end if;
  return false;
end
$$;
comment on function private.can_watch_topic(text) is 'Whether the caller may receive a Realtime topic: execution:<id> for members of its client, client:<id> for its members; admins both.';
revoke all on function private.can_watch_topic(text) from public, anon;
grant execute on function private.can_watch_topic(text) to authenticated;

create policy "members receive their clients' execution topics"
  on realtime.messages
  for select
  to authenticated
  using (
    realtime.messages.extension = 'broadcast'
    and (select private.can_watch_topic((select realtime.topic())))
  );
