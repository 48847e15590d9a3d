-- The model catalogue: every Gemini image model id the product knows, what each can produce
-- (aspect ratios, output sizes), what Google charges per image at each size, and where it is
-- in Google's lifecycle. Template and workflow configs are checked against it, executions
-- snapshot their model and per-size price from it, and the batch engine refuses to call a
-- model it marks retired. It lives in the database, not in code, so a model change is a
-- migration (or an admin's update), never a deploy, and every writer is held to it.

-- The vocabularies of Gemini's imageConfig, whatever the model: a model offers a subset.
create or replace function private.gemini_aspect_ratios()
returns text[]
language sql
immutable
-- definer only to follow the project rule for callable private helpers; it reads nothing.
security definer
set search_path = ''
as $$
  select array['1:1', '1:4', '1:8', '2:3', '3:2', '3:4', '4:1', '4:3', '4:5', '5:4', '8:1',
               '9:16', '16:9', '21:9']
$$;
comment on function private.gemini_aspect_ratios() is 'Every aspect ratio Gemini''s imageConfig.aspectRatio accepts on some model (the SDK''s AspectRatio enum); each model offers a subset.';
revoke all on function private.gemini_aspect_ratios() from public, anon;
grant execute on function private.gemini_aspect_ratios() to authenticated, service_role;

create or replace function private.gemini_image_sizes()
returns text[]
language sql
immutable
security definer
set search_path = ''
as $$
  select array['512', '1K', '2K', '4K']
$$;
comment on function private.gemini_image_sizes() is 'Every value Gemini''s imageConfig.imageSize accepts on some model (upper-case K; 512 is 0.5K); each model offers a subset.';
revoke all on function private.gemini_image_sizes() from public, anon;
grant execute on function private.gemini_image_sizes() to authenticated, service_role;

-- A map from output size to a USD amount per image, used for the catalogue's prices and for
-- the templates' per-size revenue. Check constraints call it with the writer's privileges.
create or replace function private.size_prices_problem(p_prices jsonb, p_sizes text[])
returns text
language plpgsql
immutable
security definer
set search_path = ''
as $$
declare
  k text;
  v jsonb;
begin
  if p_prices is null or jsonb_typeof(p_prices) <> 'object' then
    return 'must be an object of image size -> USD per image';
  end if;
  for k, v in select e.key, e.value from jsonb_each(p_prices) e loop
    if k <> all (private.gemini_image_sizes()) then
      return format('%s is not an image size (%s)', k, array_to_string(private.gemini_image_sizes(), ', '));
    end if;
    if jsonb_typeof(v) <> 'number' or (v #>> '{}')::numeric < 0 or (v #>> '{}')::numeric >= 1000000
      or (v #>> '{}')::numeric <> round((v #>> '{}')::numeric, 4) then
      return format('the amount for %s must be a number from 0 to 999999.9999 (4 decimals at most)', k);
    end if;
  end loop;
  if p_sizes is not null and not (p_prices ?& p_sizes
      and (select count(*) from jsonb_object_keys(p_prices)) = cardinality(p_sizes)) then
    return format('must price exactly the sizes %s', array_to_string(p_sizes, ', '));
  end if;
  return null;
end
$$;
comment on function private.size_prices_problem(jsonb, text[]) is 'Why a size -> USD-per-image map is malformed (null when fine); with p_sizes, it must cover exactly those sizes.';
revoke all on function private.size_prices_problem(jsonb, text[]) from public, anon;
grant execute on function private.size_prices_problem(jsonb, text[]) to authenticated, service_role;

create table public.image_models (
  id text primary key,
  family text not null check (family in ('flash', 'pro')),
  display_name text not null check (length(display_name) between 1 and 100),
  aspect_ratios text[] not null,
  image_sizes text[] not null,
  default_image_size text not null,
  price_per_image jsonb not null,
  lifecycle text not null default 'available'
    check (lifecycle in ('available', 'deprecated', 'retired')),
  retires_on date,
  replacement text references public.image_models (id),
  source text not null check (length(source) between 1 and 2000),
  checked_on date not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint image_models_id_shape check (id ~ '^[a-z0-9][a-z0-9.-]{0,98}[a-z0-9]$'),
  constraint image_models_aspect_ratios check (
    cardinality(aspect_ratios) > 0 and aspect_ratios <@ private.gemini_aspect_ratios()),
  constraint image_models_image_sizes check (
    cardinality(image_sizes) > 0 and image_sizes <@ private.gemini_image_sizes()),
  constraint image_models_default_size check (default_image_size = any (image_sizes)),
  constraint image_models_prices check (private.size_prices_problem(price_per_image, image_sizes) is null),
  -- Deprecated means Google announced a shutdown date; available means it did not.
  constraint image_models_retires_on check (
    (lifecycle <> 'deprecated' or retires_on is not null)
    and (lifecycle <> 'available' or retires_on is null)),
  constraint image_models_replacement check (replacement is distinct from id)
);
comment on table public.image_models is 'The model catalogue: Gemini image models with their aspect ratios, output sizes, list price per image and size, and lifecycle. Configs, execution starts, price snapshots and the batch engine read it.';
comment on column public.image_models.id is 'Model id exactly as the Gemini API names it (models/<id>).';
comment on column public.image_models.family is 'flash (workflow_type nano_banana) or pro (pro_banana): a workflow runs on a model of its own family.';
comment on column public.image_models.aspect_ratios is 'imageConfig.aspectRatio values this model accepts.';
comment on column public.image_models.image_sizes is 'imageConfig.imageSize values this model accepts.';
comment on column public.image_models.default_image_size is 'Size the model produces when the request names none (what such a run is billed at).';
comment on column public.image_models.price_per_image is 'Google''s standard (not Batch API) list price in USD per output image, per image size.';
comment on column public.image_models.lifecycle is 'available; deprecated (Google announced retires_on); retired (shut down: Google answers 404). A deprecated model past retires_on counts as retired.';
comment on column public.image_models.retires_on is 'Shutdown date Google announced (deprecated) or applied (retired).';
comment on column public.image_models.replacement is 'Model Google recommends instead.';
comment on column public.image_models.source is 'Where the facts of this row come from, and how they were derived.';
comment on column public.image_models.checked_on is 'When the facts were last checked against the source.';

create index idx_image_models_replacement on public.image_models (replacement);

create trigger set_updated_at before update on public.image_models
  for each row execute function private.set_updated_at();
comment on trigger set_updated_at on public.image_models is 'Stamps updated_at on every update.';

-- Prices are cost data, and lifecycle is an operations view: clients never read the
-- catalogue (their workflow config says what they may ask for). Admins read it and may
-- record what Google announces (lifecycle, prices) without a deploy; nobody deletes a model
-- (configs and executions name it by id), and no service caller writes it.
alter table public.image_models enable row level security;
revoke all on public.image_models from anon, authenticated, service_role;
grant select, insert, update on public.image_models to authenticated;
-- The batch engine reads the catalogue through private definer functions; it never writes it.
grant select on public.image_models to service_role;

create policy image_models_select on public.image_models for select to authenticated
  using ((select private.is_admin()));
comment on policy image_models_select on public.image_models is 'Admins only: the catalogue carries provider prices.';

create policy image_models_insert on public.image_models for insert to authenticated
  with check ((select private.is_admin()));
comment on policy image_models_insert on public.image_models is 'Admins only.';

create policy image_models_update on public.image_models for update to authenticated
  using ((select private.is_admin()))
  with check ((select private.is_admin()));
comment on policy image_models_update on public.image_models is 'Admins only (lifecycle and price changes Google announces).';

-- Where a model is in its lifecycle today: Google shuts a model down on its announced date,
-- whether or not anyone has updated the row yet.
create or replace function private.model_lifecycle_now(p_lifecycle text, p_retires_on date)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select case
    when p_lifecycle = 'retired' then 'retired'
    when p_retires_on is not null and p_retires_on <= current_date then 'retired'
    else p_lifecycle
  end
$$;
comment on function private.model_lifecycle_now(text, date) is 'Effective lifecycle today: a deprecated model past its retires_on is retired.';
revoke all on function private.model_lifecycle_now(text, date) from public, anon;
grant execute on function private.model_lifecycle_now(text, date) to authenticated, service_role;

-- The catalogue as of 2026-12-01, checked with these sources:
--   Lifecycle: Google's Gemini API deprecations page (ai.google.dev/gemini-api/docs/deprecations):
--     gemini-3.1-flash-image and gemini-3-pro-image released 2026-05-28, no shutdown date
--     announced; gemini-3.1-flash-image-preview and gemini-3-pro-image-preview shut down
--     2026-06-25 (replacements gemini-3.1-flash-image, gemini-3-pro-image);
--     gemini-2.5-flash-image shut down 2026-10-02 (replacement gemini-3.1-flash-image).
--   Aspect ratios and sizes: Gemini image generation docs as quoted by Google's own SDKs
--     (js-genai AspectRatio enum; Firebase AI Logic ImageConfig.ImageSize 512/1K/2K/4K) and
--     the Gemini 3.1 Flash Image model page on Google Cloud: 3.1 Flash Image adds the ratios
--     1:4, 4:1, 1:8, 8:1 and the 512 (0.5K) size to the ten ratios and 1K/2K/4K of 3 Pro
--     Image. Both default to 1K.
--   Prices (standard tier, per output image; the Batch API halves them):
--     gemini-3-pro-image: Google's pricing page (ai.google.dev/gemini-api/docs/pricing, as
--       transcribed 2026-09-20): $120 per 1M image output tokens, "equivalent to $0.134 per
--       1K/2K image and $0.24 per 4K image".
--     gemini-3.1-flash-image: $60 per 1M image output tokens; Google Cloud's model page counts
--       747 / 1120 / 1680 / 2520 tokens for 512 / 1K / 2K / 4K, i.e. $0.045 / $0.067 /
--       $0.101 / $0.151 per image, the figures reports of Google's pricing page give for the
--       preview id. Google's pricing row for the GA id itself could not be read here: assumed
--       unchanged from the preview. Re-check before relying on the margins.
--     gemini-2.5-flash-image (retired, kept for history): $30 per 1M image tokens, 1290
--       tokens per image, $0.039.
insert into public.image_models (
  id, family, display_name, aspect_ratios, image_sizes, default_image_size, price_per_image,
  lifecycle, retires_on, replacement, source, checked_on
)
values
  ('gemini-3.1-flash-image', 'flash', 'Gemini 3.1 Flash Image',
   array['1:1', '1:4', '1:8', '2:3', '3:2', '3:4', '4:1', '4:3', '4:5', '5:4', '8:1', '9:16', '16:9', '21:9'],
   array['512', '1K', '2K', '4K'], '1K',
   '{"512": 0.045, "1K": 0.067, "2K": 0.101, "4K": 0.151}',
   'available', null, null,
   'ai.google.dev/gemini-api/docs/deprecations (released 2026-05-28, no shutdown announced); $60/1M image tokens x 747/1120/1680/2520 tokens (Google Cloud model page); GA pricing row not read, preview price assumed',
   '2026-12-01'),
  ('gemini-3-pro-image', 'pro', 'Gemini 3 Pro Image',
   array['1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9'],
   array['1K', '2K', '4K'], '1K',
   '{"1K": 0.134, "2K": 0.134, "4K": 0.24}',
   'available', null, null,
   'ai.google.dev/gemini-api/docs/deprecations (released 2026-05-28, no shutdown announced); ai.google.dev/gemini-api/docs/pricing: $0.134 per 1K/2K image, $0.24 per 4K image',
   '2026-12-01');

insert into public.image_models (
  id, family, display_name, aspect_ratios, image_sizes, default_image_size, price_per_image,
  lifecycle, retires_on, replacement, source, checked_on
)
values
  ('gemini-2.5-flash-image', 'flash', 'Gemini 2.5 Flash Image',
   array['1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9'],
   array['1K'], '1K', '{"1K": 0.039}',
   'retired', '2026-10-02', 'gemini-3.1-flash-image',
   'ai.google.dev/gemini-api/docs/deprecations: shut down 2026-10-02; no imageSize (about 1K output) at $0.039 per image',
   '2026-12-01'),
  ('gemini-3-pro-image-preview', 'pro', 'Gemini 3 Pro Image (preview)',
   array['1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9'],
   array['1K', '2K', '4K'], '1K', '{"1K": 0.134, "2K": 0.134, "4K": 0.24}',
   'retired', '2026-06-25', 'gemini-3-pro-image',
   'ai.google.dev/gemini-api/docs/deprecations: shut down 2026-06-25',
   '2026-12-01'),
  ('gemini-3.1-flash-image-preview', 'flash', 'Gemini 3.1 Flash Image (preview)',
   array['1:1', '1:4', '1:8', '2:3', '3:2', '3:4', '4:1', '4:3', '4:5', '5:4', '8:1', '9:16', '16:9', '21:9'],
   array['512', '1K', '2K', '4K'], '1K', '{"512": 0.045, "1K": 0.067, "2K": 0.101, "4K": 0.151}',
   'retired', '2026-06-25', 'gemini-3.1-flash-image',
   'ai.google.dev/gemini-api/docs/deprecations: shut down 2026-06-25',
   '2026-12-01');
