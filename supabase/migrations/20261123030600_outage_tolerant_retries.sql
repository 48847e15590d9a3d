-- With 4 attempts and a 1 s base the retries of a transient error were spent in ~7 s, so a
-- provider outage of 10 s failed two thirds of an execution for good (soak: faults). Eight
-- attempts from a 2 s base (2, 4, 8, 16, 32, 60, 60 s, each ±20 %) keep an item alive for
-- about three minutes of outage, which covers Gemini's usual incidents and the two-minute
-- outage the soak injects, while a permanent or fatal error still fails at once.
alter table private.batch_settings alter column max_attempts set default 8;
alter table private.batch_settings alter column backoff_base_ms set default 2000;

-- Only the factory defaults move; a deployment that tuned its knobs keeps them.
update private.batch_settings
set max_attempts = 8, backoff_base_ms = 2000
where max_attempts = 4 and backoff_base_ms = 1000;

comment on column private.batch_settings.max_attempts is 'Generation attempts per item before a transient error becomes a failure (8: rides out ~3 minutes of provider outage).';
comment on column private.batch_settings.backoff_base_ms is 'First retry delay; doubles per attempt (with jitter), never below Gemini''s RetryInfo delay.';
