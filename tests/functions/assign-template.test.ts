// assign-template through supabase-js functions.invoke: templates, assignments, workflows and
// workflow requests; refused actors with their exact status, bad input naming the field, and
// nothing written when refused.
import assert from "node:assert/strict";
import { call, count, createWorld } from "../helpers/domain-fixtures.ts";
import { closeAll, db } from "../helpers/stack.ts";

const fn = "assign-template";
const options = { sanitizeOps: false, sanitizeResources: false };

Deno.test({ name: "assign-template", ...options }, async (t) => {
  const w = await createWorld("assign");
  const templateName = `Tpl ${w.tag}`;
  let templateId = "";
  let workflowId = "";
  let requestId = "";
  const config = {
    model: "gemini-2.5-flash-image",
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
        cost_per_execution: 0.039,
      };
      assert.equal((await call(null, fn, { method: "POST", path: "templates", body })).status, 401);
      assert.equal(
        (await call(w.email.ownerA, fn, { method: "POST", path: "templates", body })).status,
        403,
      );
      const cases: [unknown, string][] = [
        [{ ...body, config: { ...config, image_sizes: ["1K"] } }, "config"],
        [{ ...body, config: { ...config, max_prompts: 1001 } }, "config.max_prompts"],
        [{ ...body, config: { ...config, model: undefined } }, "config.model"],
        [{ ...body, workflow_type: "dall_e" }, "workflow_type"],
        [{ ...body, name: "x".repeat(201) }, "name"],
        [{ ...body, secret: 1 }, "(body)"],
        [{ ...body, cost_per_execution: "free" }, "cost_per_execution"],
      ];
      for (const [bad, field] of cases) {
        const answer = await call(w.email.admin, fn, {
          method: "POST",
          path: "templates",
          body: bad,
        });
        assert.equal(answer.status, 400, JSON.stringify(bad));
        assert.ok(
          answer.body.error.details.some((d: { field: string }) => d.field === field),
          field,
        );
      }
      assert.equal(await count("public.workflow_templates", "name = $1", templateName), 0);
      const pro = await call(w.email.admin, fn, {
        method: "POST",
        path: "templates",
        body: {
          ...body,
          workflow_type: "pro_banana",
          config: { ...config, image_sizes: ["2K"] },
          name: `${templateName} pro`,
        },
      });
      assert.equal(pro.status, 201);
      const ok = await call(w.email.admin, fn, { method: "POST", path: "templates", body });
      assert.equal(ok.status, 201);
      assert.equal(ok.body.template.cost_per_execution, 0.039);
      templateId = ok.body.template.id;
    });

    await t.step("GET /templates: admins list active ones; members see none", async () => {
      const { status, body } = await call(w.email.admin, fn, { path: "templates" });
      assert.equal(status, 200);
      assert.ok(body.templates.some((x: { id: string }) => x.id === templateId));
      const member = await call(w.email.ownerA, fn, { path: "templates" });
      assert.equal(member.status, 200);
      assert.deepEqual(member.body.templates, [], "RLS: templates are admin-only");
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
      // image_sizes passes the widest schema, but the stored type is nano_banana: the DB says 422.
      const wrongType = await call(w.email.admin, fn, {
        method: "PATCH",
        path,
        body: { config: { ...config, image_sizes: ["1K"] } },
      });
      assert.equal(wrongType.status, 422);
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
      assert.ok(all.body.templates.some((x: { id: string }) => x.id === templateId));
    });

    await t.step(
      "GET /workflows: members see their client's, admins filter by client",
      async () => {
        const mine = await call(w.email.collabA, fn, { path: "workflows" });
        assert.equal(mine.status, 200);
        assert.deepEqual(mine.body.workflows.map((x: { id: string }) => x.id), [workflowId]);
        const other = await call(w.email.ownerB, fn, { path: "workflows" });
        assert.deepEqual(other.body.workflows, []);
        const admin = await call(w.email.admin, fn, { path: `workflows?client_id=${w.clientA}` });
        assert.deepEqual(admin.body.workflows.map((x: { id: string }) => x.id), [workflowId]);
        assert.equal(
          (await call(w.email.admin, fn, { path: "workflows?client_id=1" })).status,
          400,
        );
      },
    );

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
      assert.deepEqual(mine.body.requests.map((x: { id: string }) => x.id), [requestId]);
      assert.deepEqual((await call(w.email.ownerB, fn, { path: "requests" })).body.requests, []);
      const admin = await call(w.email.admin, fn, { path: `requests?client_id=${w.clientA}` });
      assert.deepEqual(admin.body.requests.map((x: { id: string }) => x.id), [requestId]);
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
    await closeAll();
  }
});
