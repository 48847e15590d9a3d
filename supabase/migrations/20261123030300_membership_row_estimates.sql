-- A set-returning function is planned as returning 1000 rows unless told otherwise. For the
-- membership helpers that estimate is wrong by two orders of magnitude (a user belongs to a
-- handful of clients), and it made a member's 20-row page look like a 120k-cost query: past
-- jit_above_cost, so every page paid ~13 ms of JIT compilation for 0.7 ms of work
-- (bench: deno task bench rls-at-scale). Tell the planner the truth.
alter function private.my_client_ids() rows 5;
alter function private.my_owned_client_ids() rows 5;
comment on function private.my_client_ids() is 'Active clients the caller (an active user) belongs to; planned as ~5 rows.';
comment on function private.my_owned_client_ids() is 'Active clients the caller (an active user) owns; planned as ~5 rows.';
