// assign-template through supabase-js functions.invoke: templates, the model catalogue,
// assignments, workflows (config changes, propagation, the at-risk view) and workflow requests;
// refused actors with their exact status, bad input naming the field, and nothing written when
// refused.
import assert from "node:assert/strict";
import { call, count, createWorld } from "../helpers/domain-fixtures.ts";
import { closeAll, db } from "../helpers/stack.ts";

const fn = "assign-template";
const options = { sanitizeOps: false, sanitizeResources: false };

Deno.test({ name: "assign-template", ...options }, async (t) => {
  const w = await createWorld("assign");
  const templateName = `Tpl ${w.tag}`;
  const testModel = `test-flash-${w.tag}`;
  let templateId = "";
  let workflowId = "";
  let requestId = "";
  const config = {
    model: "gemini-3.1-flash-image",
    max_prompts: 50,
    requires_api_key: false,
    aspect_ratios: ["1:1", "16:9"],
    overridable: ["max_prompts"],
  };
  try {
    await t.step("POST /templates: admins create; config validated per workflow_type", async () => {
      const body = {
        name: templateName,
        workflow_type: "nano_banana",
        config,
        revenue_per_execution: 0.1,
      };
      assert.equal((await call(null, fn, { method: "POST", path: "templates", body })).status, 401);
      assert.equal(
        (await call(w.email.ownerA, fn, { method: "POST", path: "templates", body })).status,
        403,
      );
      const cases: [unknown, string][] = [
        [{ ...body, config: { ...config, image_sizes: ["8K"] } }, "config.image_sizes"],
        [{ ...body, config: { ...config, max_prompts: 1001 } }, "config.max_prompts"],
        [{ ...body, config: { ...config, model: undefined } }, "config.model"],
        [{ ...body, workflow_type: "dall_e" }, "workflow_type"],
        [{ ...body, name: "x".repeat(201) }, "name"],
        [{ ...body, secret: 1 }, "secret"],
        // The provider's price is the model catalogue's, never the caller's.
        [{ ...body, cost_per_execution: 0.01 }, "cost_per_execution"],
        [{ ...body, revenue_per_size: { "8K": 1 } }, "revenue_per_size"],
      ];
      for (const [bad, field] of cases) {
        const answer = await call(w.email.admin, fn, {
          method: "POST",
          path: "templates",
          body: bad,
        });
        assert.equal(answer.status, 400, JSON.stringify(bad));
        assert.ok(
          answer.body.error.details.some((d: { field: string }) =>
            d.field === field || d.field.startsWith(`${field}.`)
          ),
          `${field}: ${JSON.stringify(answer.body)}`,
        );
      }
      // Well-formed, but the model catalogue refuses: 422 naming the rule, nothing written.
      const refusals: [Record<string, unknown>, string][] = [
        [{ ...body, config: { ...config, model: "gemini-9-imaginary" } }, "model_unavailable"],
        [{ ...body, config: { ...config, model: "gemini-2.5-flash-image" } }, "model_unavailable"],
        [{ ...body, config: { ...config, model: "gemini-3-pro-image" } }, "model_family_mismatch"],
        [{ ...body, config: { ...config, image_sizes: ["1K", "4K"] } }, "revenue_below_cost"],
      ];
      for (const [refused, code] of refusals) {
        const answer = await call(w.email.admin, fn, {
          method: "POST",
          path: "templates",
          body: refused,
        });
        assert.equal(answer.status, 422, JSON.stringify(answer.body));
        assert.equal(answer.body.error.code, code);
      }
      assert.equal(await count("public.workflow_templates", "name = $1", templateName), 0);
      const pro = await call(w.email.admin, fn, {
        method: "POST",
        path: "templates",
        body: {
          ...body,
          workflow_type: "pro_banana",
          config: { ...config, model: "gemini-3-pro-image", image_sizes: ["2K", "4K"] },
          revenue_per_execution: 0.2,
          revenue_per_size: { "4K": 0.35 },
          name: `${templateName} pro`,
        },
      });
      assert.equal(pro.status, 201, JSON.stringify(pro.body));
      assert.deepEqual(pro.body.template.revenue_per_size, { "4K": 0.35 });
      assert.equal(pro.body.template.cost_per_execution, 0.134, "the catalogue's 1K price");
      const ok = await call(w.email.admin, fn, { method: "POST", path: "templates", body });
      assert.equal(ok.status, 201);
      assert.equal(ok.body.template.cost_per_execution, 0.067);
      templateId = ok.body.template.id;
    });

    await t.step("GET /templates: admins list active ones; members see none", async () => {
      const { status, body } = await call(w.email.admin, fn, { path: "templates" });
      assert.equal(status, 200);
      assert.ok(body.data.some((x: { id: string }) => x.id === templateId));
      const member = await call(w.email.ownerA, fn, { path: "templates" });
      assert.equal(member.status, 200);
      assert.deepEqual(member.body.data, [], "RLS: templates are admin-only");
      assert.equal((await call(null, fn, { path: "templates" })).status, 401);
      const bad = await call(w.email.admin, fn, { path: "templates?include_inactive=maybe" });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.details[0].field, "include_inactive");
    });

    await t.step("PATCH /templates/:id: admins edit; others refused", async () => {
      const path = `templates/${templateId}`;
      assert.equal(
        (await call(w.email.ownerA, fn, { method: "PATCH", path, body: { description: "x" } }))
          .status,
        404,
      );
      assert.equal(
        (await call(w.email.admin, fn, { method: "PATCH", path, body: {} })).status,
        400,
      );
      const badConfig = await call(w.email.admin, fn, {
        method: "PATCH",
        path,
        body: { config: { ...config, max_prompts: 0 } },
      });
      assert.equal(badConfig.status, 400);
      assert.equal(badConfig.body.error.details[0].field, "config.max_prompts");
      // A Pro model passes the schema, but the stored type is nano_banana: the DB says 422.
      const wrongType = await call(w.email.admin, fn, {
        method: "PATCH",
        path,
        body: { config: { ...config, model: "gemini-3-pro-image" } },
      });
      assert.equal(wrongType.status, 422);
      assert.equal(wrongType.body.error.code, "model_family_mismatch");
      const belowCost = await call(w.email.admin, fn, {
        method: "PATCH",
        path,
        body: { revenue_per_execution: 0.05 },
      });
      assert.equal(belowCost.status, 422);
      assert.equal(belowCost.body.error.code, "revenue_below_cost");
      assert.equal(
        await count("public.workflow_templates", "id = $1 and description is null", templateId),
        1,
      );
      const ok = await call(w.email.admin, fn, {
        method: "PATCH",
        path,
        body: { description: "Fast" },
      });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.template.description, "Fast");
    });

    await t.step("POST /assignments: admins assign; domain rules are 422", async () => {
      const body = {
        template_id: templateId,
        client_id: w.clientA,
        config_overrides: { max_prompts: 10 },
      };
      assert.equal(
        (await call(null, fn, { method: "POST", path: "assignments", body })).status,
        401,
      );
      assert.equal(
        (await call(w.email.ownerA, fn, { method: "POST", path: "assignments", body })).status,
        403,
      );
      const notAllowed = await call(w.email.admin, fn, {
        method: "POST",
        path: "assignments",
        body: { ...body, config_overrides: { model: "other" } },
      });
      assert.equal(notAllowed.status, 422);
      assert.equal(notAllowed.body.error.code, "override_not_allowed");
      const badUuid = await call(w.email.admin, fn, {
        method: "POST",
        path: "assignments",
        body: { ...body, client_id: "x" },
      });
      assert.equal(badUuid.status, 400);
      assert.equal(badUuid.body.error.details[0].field, "client_id");
      const unknownKey = await call(w.email.admin, fn, {
        method: "POST",
        path: "assignments",
        body: { ...body, config_overrides: { turbo: true } },
      });
      assert.equal(unknownKey.status, 400);
      await db()`update public.clients set status = 'suspended' where id = ${w.clientB}`;
      const suspended = await call(w.email.admin, fn, {
        method: "POST",
        path: "assignments",
        body: { ...body, client_id: w.clientB },
      });
      assert.equal(suspended.status, 422);
      assert.equal(suspended.body.error.code, "client_not_active");
      await db()`update public.clients set status = 'active' where id = ${w.clientB}`;
      assert.equal(
        await count("public.workflows", "client_id in ($1, $2)", w.clientA, w.clientB),
        0,
      );

      const ok = await call(w.email.admin, fn, { method: "POST", path: "assignments", body });
      assert.equal(ok.status, 201);
      assert.equal(ok.body.workflow.name, `A ${w.tag} - ${templateName}`);
      assert.equal(ok.body.workflow.config.max_prompts, 10);
      assert.equal(ok.body.workflow.template_id, templateId);
      workflowId = ok.body.workflow.id;

      await call(w.email.admin, fn, {
        method: "PATCH",
        path: `templates/${templateId}`,
        body: { is_active: false },
      });
      const inactive = await call(w.email.admin, fn, {
        method: "POST",
        path: "assignments",
        body: { ...body, client_id: w.clientB },
      });
      assert.equal(inactive.status, 422);
      assert.equal(inactive.body.error.code, "template_inactive");
      assert.equal(await count("public.workflows", "client_id = $1", w.clientB), 0);
      const all = await call(w.email.admin, fn, { path: "templates?include_inactive=true" });
      assert.ok(all.body.data.some((x: { id: string }) => x.id === templateId));
    });

    await t.step(
      "GET /workflows: members see their client's, admins filter by client",
      async () => {
        const mine = await call(w.email.collabA, fn, { path: "workflows" });
        assert.equal(mine.status, 200);
        assert.deepEqual(mine.body.data.map((x: { id: string }) => x.id), [workflowId]);
        const other = await call(w.email.ownerB, fn, { path: "workflows" });
        assert.deepEqual(other.body.data, []);
        const admin = await call(w.email.admin, fn, { path: `workflows?client_id=${w.clientA}` });
        assert.deepEqual(admin.body.data.map((x: { id: string }) => x.id), [workflowId]);
        assert.equal(
          (await call(w.email.admin, fn, { path: "workflows?client_id=1" })).status,
          400,
        );
      },
    );

    await t.step("GET /workflows: admins see the model's lifecycle, members do not", async () => {
      const admin = await call(w.email.admin, fn, { path: `workflows?client_id=${w.clientA}` });
      assert.deepEqual(admin.body.data[0].model_lifecycle, {
        model: "gemini-3.1-flash-image",
        lifecycle: "available",
        retires_on: null,
        days_left: null,
        replacement: null,
      });
      const member = await call(w.email.collabA, fn, { path: "workflows" });
      assert.equal(
        member.body.data[0].model_lifecycle,
        null,
        "RLS: the catalogue is admin-only",
      );
    });

    await t.step("POST /templates/:id/propagate: dry run lists, real run moves", async () => {
      const path = `templates/${templateId}/propagate`;
      // The template moves on: new ratios, a new max_prompts (the workflow overrides it).
      const edited = await call(w.email.admin, fn, {
        method: "PATCH",
        path: `templates/${templateId}`,
        body: { config: { ...config, max_prompts: 60, aspect_ratios: ["1:1", "4:1"] } },
      });
      assert.equal(edited.status, 200);
      assert.equal(
        (await call(null, fn, { method: "POST", path, body: { dry_run: true } })).status,
        401,
      );
      const member = await call(w.email.ownerA, fn, {
        method: "POST",
        path,
        body: { dry_run: true },
      });
      assert.equal(member.status, 403);
      assert.equal(member.body.error.code, "admin_only");
      for (const bad of [{}, { dry_run: "yes" }, { dry_run: true, extra: 1 }]) {
        const answer = await call(w.email.admin, fn, { method: "POST", path, body: bad });
        assert.equal(answer.status, 400, JSON.stringify(bad));
      }
      const missing = await call(w.email.admin, fn, {
        method: "POST",
        path: `templates/${crypto.randomUUID()}/propagate`,
        body: { dry_run: true },
      });
      assert.equal(missing.status, 404);
      const before = (await db()`select config from public.workflows where id = ${workflowId}`)[0];

      const dry = await call(w.email.admin, fn, { method: "POST", path, body: { dry_run: true } });
      assert.equal(dry.status, 200, JSON.stringify(dry.body));
      assert.equal(dry.body.propagation.dry_run, true);
      assert.deepEqual(dry.body.propagation.workflows.map((x: { id: string }) => x.id), [
        workflowId,
      ]);
      const entry = dry.body.propagation.workflows[0];
      assert.deepEqual(entry.changes, {
        aspect_ratios: { from: ["1:1", "16:9"], to: ["1:1", "4:1"] },
      });
      assert.deepEqual(entry.kept_overrides, { max_prompts: 10 });
      assert.deepEqual(entry.running_executions, []);
      assert.equal(entry.problem, null);
      const after = (await db()`select config from public.workflows where id = ${workflowId}`)[0];
      assert.deepEqual(after.config, before.config, "a dry run writes nothing");

      const real = await call(w.email.admin, fn, {
        method: "POST",
        path,
        body: { dry_run: false },
      });
      assert.equal(real.status, 200);
      assert.equal(real.body.propagation.changed, 1);
      const [moved] = await db()`select config from public.workflows where id = ${workflowId}`;
      assert.deepEqual(moved.config.aspect_ratios, ["1:1", "4:1"]);
      assert.equal(moved.config.max_prompts, 10, "the assignment's override is kept");
    });

    await t.step(
      "PATCH /workflows/:id {config}: admins move a workflow, checked like a template",
      async () => {
        const path = `workflows/${workflowId}`;
        const patch = (body: unknown, who = w.email.admin) =>
          call(who, fn, { method: "PATCH", path, body });
        assert.equal(
          (await patch({ config: { aspect_ratios: ["1:8"] } }, w.email.ownerA)).status,
          403,
        );
        for (
          const bad of [{ config: {} }, { config: { turbo: true } }, {
            config: { image_sizes: ["8K"] },
          }]
        ) {
          assert.equal((await patch(bad)).status, 400, JSON.stringify(bad));
        }
        const refusals: [Record<string, unknown>, string][] = [
          [{ model: "gemini-2.5-flash-image" }, "model_unavailable"],
          [{ model: "gemini-3-pro-image" }, "model_family_mismatch"],
          [{ image_sizes: ["1K", "4K"] }, "revenue_below_cost"],
          [{ max_prompts: 5, aspect_ratios: ["7:3"] }, ""],
        ];
        const [before] = await db()`select config from public.workflows where id = ${workflowId}`;
        for (const [config, code] of refusals) {
          const answer = await patch({ config });
          if (!code) {
            assert.equal(answer.status, 400, "7:3 is no Gemini ratio at all");
            continue;
          }
          assert.equal(answer.status, 422, JSON.stringify(answer.body));
          assert.equal(answer.body.error.code, code);
        }
        const [unchanged] =
          await db()`select config from public.workflows where id = ${workflowId}`;
        assert.deepEqual(unchanged.config, before.config, "refused changes wrote nothing");
        const ok = await patch({ config: { aspect_ratios: ["1:8", "8:1"], image_sizes: ["512"] } });
        assert.equal(ok.status, 200, JSON.stringify(ok.body));
        assert.deepEqual(ok.body.workflow.config.aspect_ratios, ["1:8", "8:1"]);
        assert.deepEqual(ok.body.workflow.config.image_sizes, ["512"]);
        assert.equal(ok.body.workflow.config.max_prompts, 10, "settings not named stay");
        assert.equal(ok.body.workflow.config.model, "gemini-3.1-flash-image");
      },
    );

    await t.step("GET /workflows/at-risk and GET /models: admins see what retires", async () => {
      await db()`insert into public.image_models (id, family, display_name, aspect_ratios,
          image_sizes, default_image_size, price_per_image, lifecycle, retires_on, replacement,
          source, checked_on)
        values (${testModel}, 'flash', 'Test Flash', ${[
        "1:1",
        "1:8",
        "4:1",
        "8:1",
      ]}, ${["512", "1K"]}, '1K', ${db().json({ "512": 0.02, "1K": 0.05 })}, 'deprecated',
          current_date + 30, 'gemini-3.1-flash-image', 'test', current_date)`;
      const moved = await call(w.email.admin, fn, {
        method: "PATCH",
        path: `workflows/${workflowId}`,
        body: { config: { model: testModel } },
      });
      assert.equal(moved.status, 200, "a deprecated model may still be assigned");

      const risk = await call(w.email.admin, fn, { path: "workflows/at-risk" });
      assert.equal(risk.status, 200);
      const row = risk.body.data.find((x: { workflow_id: string }) => x.workflow_id === workflowId);
      assert.ok(row, JSON.stringify(risk.body));
      assert.equal(row.model, testModel);
      assert.equal(row.lifecycle, "deprecated");
      assert.equal(row.days_left, 30);
      assert.equal(row.replacement, "gemini-3.1-flash-image");
      assert.equal(row.client_id, w.clientA);
      const soon = await call(w.email.admin, fn, { path: "workflows/at-risk?within_days=10" });
      assert.ok(
        !soon.body.data.some((x: { workflow_id: string }) => x.workflow_id === workflowId),
      );
      assert.equal(
        (await call(w.email.admin, fn, { path: "workflows/at-risk?within_days=-1" })).status,
        400,
      );
      assert.equal(
        (await call(w.email.admin, fn, { path: "workflows/at-risk?days=1" })).status,
        400,
      );
      const member = await call(w.email.ownerA, fn, { path: "workflows/at-risk" });
      assert.equal(member.status, 403);
      assert.equal(member.body.error.code, "admin_only");
      const listed = await call(w.email.admin, fn, { path: `workflows?client_id=${w.clientA}` });
      assert.equal(listed.body.data[0].model_lifecycle.lifecycle, "deprecated");
      assert.equal(listed.body.data[0].model_lifecycle.days_left, 30);

      const models = await call(w.email.admin, fn, { path: "models" });
      assert.equal(models.status, 200);
      const flash = models.body.data.find((m: { id: string }) => m.id === "gemini-3.1-flash-image");
      assert.deepEqual(flash.image_sizes, ["512", "1K", "2K", "4K"]);
      assert.deepEqual(flash.price_per_image, {
        "512": 0.045,
        "1K": 0.067,
        "2K": 0.101,
        "4K": 0.151,
      });
      const retired = models.body.data.find((m: { id: string }) =>
        m.id === "gemini-2.5-flash-image"
      );
      assert.equal(retired.lifecycle, "retired");
      assert.deepEqual((await call(w.email.ownerA, fn, { path: "models" })).body.data, []);
    });

    await t.step("PATCH /workflows/:id: admins switch; owners 403, others 404", async () => {
      const path = `workflows/${workflowId}`;
      const body = { status: "inactive" };
      assert.equal((await call(null, fn, { method: "PATCH", path, body })).status, 401);
      assert.equal((await call(w.email.ownerA, fn, { method: "PATCH", path, body })).status, 403);
      assert.equal((await call(w.email.ownerB, fn, { method: "PATCH", path, body })).status, 404);
      assert.equal(
        (await call(w.email.admin, fn, { method: "PATCH", path, body: { status: "paused" } }))
          .status,
        400,
      );
      assert.equal(await count("public.workflows", "id = $1 and status = 'active'", workflowId), 1);
      const ok = await call(w.email.admin, fn, { method: "PATCH", path, body });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.workflow.status, "inactive");
    });

    await t.step("POST /requests: any member of the client files one", async () => {
      const body = { workflow_id: workflowId, notes: "Need 4K for Q2" };
      assert.equal((await call(null, fn, { method: "POST", path: "requests", body })).status, 401);
      assert.equal(
        (await call(w.email.ownerB, fn, { method: "POST", path: "requests", body })).status,
        404,
      );
      const long = await call(w.email.collabA, fn, {
        method: "POST",
        path: "requests",
        body: { ...body, notes: "x".repeat(2001) },
      });
      assert.equal(long.status, 400);
      assert.equal(long.body.error.details[0].field, "notes");
      const forged = await call(w.email.collabA, fn, {
        method: "POST",
        path: "requests",
        body: { ...body, status: "approved" },
      });
      assert.equal(forged.status, 400);
      assert.equal(await count("public.workflow_requests", "workflow_id = $1", workflowId), 0);
      const ok = await call(w.email.collabA, fn, { method: "POST", path: "requests", body });
      assert.equal(ok.status, 201);
      assert.equal(ok.body.request.status, "pending");
      assert.equal(ok.body.request.requested_by, w.id.collabA);
      requestId = ok.body.request.id;
    });

    await t.step("GET /requests: members see their client's, filters work", async () => {
      const mine = await call(w.email.ownerA, fn, { path: "requests?status=pending" });
      assert.deepEqual(mine.body.data.map((x: { id: string }) => x.id), [requestId]);
      assert.deepEqual((await call(w.email.ownerB, fn, { path: "requests" })).body.data, []);
      const admin = await call(w.email.admin, fn, { path: `requests?client_id=${w.clientA}` });
      assert.deepEqual(admin.body.data.map((x: { id: string }) => x.id), [requestId]);
      assert.equal((await call(w.email.admin, fn, { path: "requests?status=maybe" })).status, 400);
    });

    await t.step("PATCH /requests/:id: only admins decide, once", async () => {
      const path = `requests/${requestId}`;
      const body = { status: "approved", admin_notes: "Enjoy" };
      assert.equal((await call(null, fn, { method: "PATCH", path, body })).status, 401);
      assert.equal((await call(w.email.ownerA, fn, { method: "PATCH", path, body })).status, 403);
      assert.equal((await call(w.email.collabA, fn, { method: "PATCH", path, body })).status, 403);
      assert.equal((await call(w.email.ownerB, fn, { method: "PATCH", path, body })).status, 404);
      assert.equal(
        (await call(w.email.admin, fn, { method: "PATCH", path, body: { status: "pending" } }))
          .status,
        400,
      );
      assert.equal(
        await count("public.workflow_requests", "id = $1 and status = 'pending'", requestId),
        1,
      );
      const ok = await call(w.email.admin, fn, { method: "PATCH", path, body });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.request.reviewed_by, w.id.admin);
      assert.ok(ok.body.request.reviewed_at);
      const again = await call(w.email.admin, fn, {
        method: "PATCH",
        path,
        body: { status: "rejected" },
      });
      assert.equal(again.status, 422);
      assert.equal(again.body.error.code, "request_already_decided");
    });
  } finally {
    await w.cleanup();
    await db()`delete from public.workflow_templates where name like ${`${templateName}%`}`;
    await db()`delete from public.image_models where id = ${testModel}`;
    await closeAll();
  }
});
