-- workflow_batch_results_client_pending (20261202020700) served only the queued-items quota's
-- count, which now reads private.client_queued_items (20261204030000). Every pending row cost
-- an entry in it: 100 index insertions per 100-prompt start, and one more index to maintain on
-- every claim. The chain's own pending lookups go by execution (workflow_batch_results_claimable).
drop index public.workflow_batch_results_client_pending;
