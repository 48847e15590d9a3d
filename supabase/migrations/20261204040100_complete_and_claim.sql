-- The next item in the same round trip as the completion. Measured (bench/chain-ab.ts,
-- bench/chain-breakdown.ts): between an item's completion and the next item of its slot a link
-- spent ~15-20 ms, one completing transaction, then the link's loop, then a claiming one, each
-- four round trips (begin, identity, call, commit) on a pool shared by the link's slots. A link
-- whose slot frees while it still claims now asks for the next item in the completing call:
-- complete_batch_item, then claim_batch_items for the same execution, in one transaction.
--
-- The claim is exactly private.claim_batch_items (caps, fair share, lease expiry, waiting
-- list, finalisation), run in a subtransaction after the completion: a failing claim is
-- rolled back alone and reported, never undoing the completion, and the link's loop claims as
-- before. An uncommitted completion (lease lost) claims nothing. The lock order is the one of
-- the two calls in sequence (execution row, then the client and global advisory locks).
-- batch_settings.claim_with_completion switches it off (the chain-ab benchmark's `before` arm).

alter table private.batch_settings
  add column claim_with_completion boolean not null default true;
comment on column private.batch_settings.claim_with_completion is 'Links may claim the next item in the call that completes one (private.complete_batch_item_and_claim); off: completion only, the link claims separately.';

create or replace function private.complete_batch_item_and_claim(
  p_item_id uuid,
  p_lease_token uuid,
  p_storage_path text,
  p_processing_time_ms integer,
  p_claim integer
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_outcome jsonb;
  v_execution_id uuid;
  v_claim jsonb;
begin
  v_outcome := private.complete_batch_item(p_item_id, p_lease_token, p_storage_path,
    p_processing_time_ms);
  if p_claim is null or p_claim <= 0 or not (v_outcome ->> 'committed')::boolean
     or coalesce((v_outcome ->> 'finalised')::boolean, false)
     or not (select s.claim_with_completion from private.batch_settings s) then
    return v_outcome;
  end if;
  select r.execution_id into v_execution_id from public.workflow_batch_results r
  where r.id = p_item_id;
  begin
    v_claim := private.claim_batch_items(v_execution_id, p_claim);
  exception when others then
    return v_outcome || jsonb_build_object('claim_error', sqlerrm);
  end;
  return v_outcome || jsonb_build_object('next', v_claim);
end
$$;
comment on function private.complete_batch_item_and_claim(uuid, uuid, text, integer, integer) is 'complete_batch_item, then (if it committed, did not finalise, and claim_with_completion is on) claim_batch_items(execution, p_claim) in a subtransaction of the same transaction; returns the completion''s outcome with next (the claim) or claim_error.';
revoke all on function private.complete_batch_item_and_claim(uuid, uuid, text, integer, integer) from public, anon, authenticated;
grant execute on function private.complete_batch_item_and_claim(uuid, uuid, text, integer, integer) to service_role;
