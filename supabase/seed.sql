-- Demo data for the local stack and `supabase db reset`. Fixed ids so tests, docs and the
-- demo can name rows; `on conflict do nothing` so a second run changes nothing.
-- The e-mails are a contract with the stack (`deno task stack token <email>`) and the tests.
--
-- ids: users a0000000-…, clients c0000000-…, templates d0000000-…, workflows e0000000-…,
-- memberships f0000000-… (all valid RFC 4122 v4 shapes, so strict uuid validators accept
-- them).

-- Auth users: the on_auth_user_created trigger creates the matching public.users rows. The
-- admin flag comes from app metadata, which only the service side can set.
insert into auth.users (
  instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
  raw_app_meta_data, raw_user_meta_data, is_super_admin, created_at, updated_at, is_anonymous
)
values
  ('00000000-0000-0000-0000-000000000000', 'a0000000-0000-4000-8000-000000000001',
   'authenticated', 'authenticated', 'admin@masstock.test',
   extensions.crypt('masstock-demo', extensions.gen_salt('bf')), now(),
   '{"provider": "email", "providers": ["email"], "role": "admin"}', '{"name": "MasStock Admin"}',
   false, now(), now(), false),
  ('00000000-0000-0000-0000-000000000000', 'a0000000-0000-4000-8000-000000000002',
   'authenticated', 'authenticated', 'owner@acme.test',
   extensions.crypt('masstock-demo', extensions.gen_salt('bf')), now(),
   '{"provider": "email", "providers": ["email"]}', '{"name": "Alice Owner"}',
   false, now(), now(), false),
  ('00000000-0000-0000-0000-000000000000', 'a0000000-0000-4000-8000-000000000003',
   'authenticated', 'authenticated', 'collaborator@acme.test',
   extensions.crypt('masstock-demo', extensions.gen_salt('bf')), now(),
   '{"provider": "email", "providers": ["email"]}', '{"name": "Carl Collaborator"}',
   false, now(), now(), false),
  ('00000000-0000-0000-0000-000000000000', 'a0000000-0000-4000-8000-000000000004',
   'authenticated', 'authenticated', 'owner@globex.test',
   extensions.crypt('masstock-demo', extensions.gen_salt('bf')), now(),
   '{"provider": "email", "providers": ["email"]}', '{"name": "Gina Globex"}',
   false, now(), now(), false)
on conflict (id) do nothing;

-- The trigger already made the admin an admin; stated again so the seed does not depend on
-- how the auth row was created.
update public.users set role = 'admin'
where id = 'a0000000-0000-4000-8000-000000000001' and role <> 'admin';

insert into public.clients (id, name, company_name, email)
values
  ('c0000000-0000-4000-8000-000000000001', 'Acme Corp', 'Acme Corporation Inc.', 'contact@acme.test'),
  ('c0000000-0000-4000-8000-000000000002', 'Globex Inc', 'Globex Incorporated', 'contact@globex.test')
on conflict (id) do nothing;

insert into public.client_members (id, client_id, user_id, role)
values
  ('f0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001',
   'a0000000-0000-4000-8000-000000000002', 'owner'),
  ('f0000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000001',
   'a0000000-0000-4000-8000-000000000003', 'collaborator'),
  ('f0000000-0000-4000-8000-000000000003', 'c0000000-0000-4000-8000-000000000002',
   'a0000000-0000-4000-8000-000000000004', 'owner')
on conflict (id) do nothing;

-- Templates on the current Gemini image models (public.image_models; ids, sizes and list
-- prices as of 2026-12-01 are cited there). cost_per_execution is kept from the catalogue
-- (the list price at the model's default size, 1K): Flash $0.067, Pro $0.134. Revenue is
-- per image and stays above the list price at every size a template offers (the database
-- refuses anything else): Flash $0.10 at 512/1K (costs $0.045/$0.067), $0.15 at 2K ($0.101),
-- $0.22 at 4K ($0.151); Pro $0.25 at 1K/2K ($0.134) and 4K ($0.24, a thin margin kept from
-- the schema document's price). requires_api_key is false on Flash so the demo runs on the
-- platform key; Pro keeps the document's bring-your-own-key setting.
insert into public.workflow_templates (
  id, name, description, icon, workflow_type, config, cost_per_execution, revenue_per_execution,
  revenue_per_size, is_active
)
values
  ('d0000000-0000-4000-8000-000000000001', 'Flash Image Gen',
   'Fast AI image generation with Gemini 3.1 Flash Image, 512px to 4K', 'zap', 'nano_banana',
   '{
      "workflow_type": "nano_banana",
      "model": "gemini-3.1-flash-image",
      "max_prompts": 100,
      "requires_api_key": false,
      "supports_reference_images": true,
      "aspect_ratios": ["1:1", "1:4", "1:8", "2:3", "3:2", "3:4", "4:1", "4:3", "4:5", "5:4", "8:1", "9:16", "16:9", "21:9"],
      "image_sizes": ["512", "1K", "2K", "4K"]
    }',
   0.067, 0.10, '{"2K": 0.15, "4K": 0.22}', true),
  ('d0000000-0000-4000-8000-000000000002', 'Pro Image Gen',
   'High-fidelity AI image generation with Gemini 3 Pro Image, up to 4K', 'sparkles', 'pro_banana',
   '{
      "workflow_type": "pro_banana",
      "model": "gemini-3-pro-image",
      "max_prompts": 100,
      "requires_api_key": true,
      "supports_reference_images": true,
      "aspect_ratios": ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"],
      "image_sizes": ["1K", "2K", "4K"]
    }',
   0.134, 0.25, '{}', true)
on conflict (id) do nothing;

-- Acme's workflow is assigned from Flash Image Gen: it carries a copy of the template config
-- (later template edits must not change what a client already bought) and keeps the link.
insert into public.workflows (id, name, description, status, config, client_id, template_id)
select
  'e0000000-0000-4000-8000-000000000001',
  'Acme Corp - Flash Image Gen',
  t.description,
  'active',
  t.config,
  'c0000000-0000-4000-8000-000000000001',
  t.id
from public.workflow_templates t
where t.id = 'd0000000-0000-4000-8000-000000000001'
on conflict (id) do nothing;
