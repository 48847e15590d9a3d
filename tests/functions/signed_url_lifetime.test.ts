// Result URLs are bearer capabilities that outlive a member's removal until they expire, so
// they expire soon: 5 minutes by default (RESULT_SIGNED_URL_SECONDS), not an hour.
import assert from "node:assert/strict";
import { decodeJwt } from "jose";
import {
  ACME_WORKFLOW,
  invoke,
  startStackGeminiFake,
  waitForFinished,
} from "../helpers/executions.ts";
import { closeAll, userClient } from "../helpers/stack.ts";

Deno.test({
  name: "result URLs expire after five minutes",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fake = startStackGeminiFake(0);
    try {
      const collab = await userClient("collaborator@acme.test");
      const started = await invoke<{ execution: { id: string } }>(collab, "start-execution", {
        body: { workflow_id: ACME_WORKFLOW, prompts: ["a lighthouse for the url test"] },
      });
      assert.equal(started.status, 202);
      await waitForFinished(started.body.execution.id);
      const view = await invoke<{ execution: { results: { signed_url: string | null }[] } }>(
        collab,
        `start-execution/${started.body.execution.id}`,
      );
      assert.equal(view.status, 200);
      const url = view.body.execution.results[0].signed_url;
      assert.ok(url, "the completed result has a signed URL");
      const token = new URL(url).searchParams.get("token")!;
      const { iat, exp } = decodeJwt(token);
      assert.equal(exp! - iat!, 300);
      assert.equal((await fetch(url)).status, 200);
    } finally {
      await fake.close();
      await closeAll();
    }
  },
});
