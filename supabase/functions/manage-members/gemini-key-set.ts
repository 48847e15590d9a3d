// PUT /clients/:clientId/gemini-key {api_key}: an owner sets (201) or rotates (200) the
// client's stored Gemini key. The key is sealed here, bound to the client, and only its
// ciphertext and keyed fingerprint reach the database, which decides who may (owners only).
import { userRoutes } from "../../../shared/http/context.ts";
import { body, params } from "../../../shared/http/input.ts";
import { apiKeyFingerprint, sealClientApiKey } from "../../../shared/secrets/secrets.ts";
import { clientParam, geminiKeyBody } from "../../../shared/validation.ts";

export const geminiKeySet = userRoutes()
  .put("/clients/:clientId/gemini-key", params(clientParam), body(geminiKeyBody), async (c) => {
    const { clientId } = c.req.valid("param");
    const { api_key } = c.req.valid("json");
    const [sealed, fingerprint] = await Promise.all([
      sealClientApiKey(api_key, clientId),
      apiKeyFingerprint(api_key),
    ]);
    const [{ key }] = await c.var.db((tx) =>
      tx`select private.set_client_api_key(${clientId}, ${sealed}, ${fingerprint}) as key`
    );
    const { rotated, ...gemini_key } = key as { rotated: boolean } & Record<string, unknown>;
    return c.json({ gemini_key, rotated }, rotated ? 200 : 201);
  });
