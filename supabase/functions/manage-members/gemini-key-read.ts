// GET /clients/:clientId/gemini-key: the stored key's fingerprint, status (active, or
// rejected by Google, with when and why) and when it was set; never the key. Owners only.
import { userRoutes } from "../../../shared/http/context.ts";
import { params } from "../../../shared/http/input.ts";
import { clientParam } from "../../../shared/validation.ts";

export const geminiKeyRead = userRoutes()
  .get("/clients/:clientId/gemini-key", params(clientParam), async (c) => {
    const { clientId } = c.req.valid("param");
    const [{ key }] = await c.var.db((tx) =>
      tx`select private.client_api_key_status(${clientId}) as key`
    );
    return c.json({ gemini_key: key });
  });
