// PUT /manage-members/clients/:clientId/retention: how long a client's finished executions keep
// their images and inputs ({retention_days: 1-3650}, or null for the platform default).
// private.set_client_retention refuses anyone but platform admins (403 admin_only).
import { userRoutes } from "../../../shared/http/context.ts";
import { body, params } from "../../../shared/http/input.ts";
import { describe } from "../../../shared/http/openapi.ts";
import {
  clientParam,
  clientRetentionBody,
  retentionResponses,
} from "../../../shared/validation.ts";

export const retention = userRoutes().put(
  "/clients/:clientId/retention",
  describe({
    summary: "Set a client's retention of results and inputs (admins)",
    ok: [200, retentionResponses.clientRetention],
    refusals: [403, 404],
  }),
  params(clientParam),
  body(clientRetentionBody),
  async (c) => {
    const { clientId } = c.req.valid("param");
    const { retention_days } = c.req.valid("json");
    const [{ retention }] = await c.var.db((tx) =>
      tx`select private.set_client_retention(${clientId}, ${retention_days}) as retention`
    );
    return c.json({ retention });
  },
);
