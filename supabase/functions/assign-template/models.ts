// The model catalogue (public.image_models) as admins see it: RLS shows it to admins only
// (it carries provider prices), so anyone else gets an empty list.
import type { Hono } from "hono";
import type { AppEnv } from "../../../shared/http.ts";
import { requireUser } from "../../../shared/auth.ts";
import { asUser } from "../../../shared/db.ts";

export function modelRoutes(app: Hono<AppEnv>): void {
  app.get("/models", async (c) => {
    const user = await requireUser(c.req.raw);
    const models = await asUser(
      user.claims,
      (tx) =>
        tx`select m.id, m.family, m.display_name, m.aspect_ratios, m.image_sizes,
           m.default_image_size, m.price_per_image, m.lifecycle as stored_lifecycle,
           private.model_lifecycle_now(m.lifecycle, m.retires_on) as lifecycle,
           m.retires_on, m.replacement, m.source, m.checked_on
         from public.image_models m
         order by m.family, m.id`,
    );
    return c.json({ models });
  });
}
