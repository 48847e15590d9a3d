// The model catalogue (public.image_models) as admins see it: RLS shows it to admins only
// (it carries provider prices), so anyone else gets an empty list.
import { userRoutes } from "../../../shared/http/context.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { wholeList } from "../../../shared/validation.ts";
import { responses } from "../../../shared/validation/responses.ts";

export const models = userRoutes()
  .get(
    "/models",
    describe({
      summary: "The model catalogue with prices and lifecycle (admins)",
      ok: [200, responses.models],
    }),
    async (c) => {
      const rows = await c.var.db((tx) =>
        tx`select m.id, m.family, m.display_name, m.aspect_ratios, m.image_sizes,
           m.default_image_size, m.price_per_image, m.lifecycle as stored_lifecycle,
           private.model_lifecycle_now(m.lifecycle, m.retires_on) as lifecycle,
           m.retires_on, m.replacement, m.source, m.checked_on
         from public.image_models m
         order by m.family, m.id`
      );
      return c.json(wholeList(rows));
    },
  );
