// DELETE /clients/:clientId/gemini-key: an owner removes the stored key; later keyless starts
// of workflows on the client's own key are refused (api_key_required). Runs already started
// on it keep going only if their link has read it already.
import { userRoutes } from "../../../shared/http/context.ts";
import { params } from "../../../shared/http/input.ts";
import { clientParam } from "../../../shared/validation.ts";

export const geminiKeyDelete = userRoutes()
  .delete("/clients/:clientId/gemini-key", params(clientParam), async (c) => {
    const { clientId } = c.req.valid("param");
    const [{ key }] = await c.var.db((tx) =>
      tx`select private.delete_client_api_key(${clientId}) as key`
    );
    return c.json({ gemini_key: key });
  });
