// GET /me: who the caller is (profile, platform role, memberships, pending invitations,
// capabilities), all decided by public.me() as the caller; and accepting one of those pending
// invitations by id, with no token to carry around.
import { userRoutes } from "../../../shared/http/context.ts";
import { describe } from "../../../shared/http/openapi.ts";
import { params } from "../../../shared/http/input.ts";
import { idParam } from "../../../shared/validation.ts";
import { responses } from "../../../shared/validation/responses.ts";

export const me = userRoutes()
  .get(
    "/me",
    describe({
      summary: "Who the caller is: profile, memberships, invitations, capabilities",
      ok: [200, responses.me],
    }),
    async (c) => {
      const [{ me }] = await c.var.db((tx) => tx`select public.me() as me`);
      return c.json({ me });
    },
  )
  .post(
    "/invitations/:id/accept",
    describe({
      summary: "Accept one of my pending invitations by id",
      ok: [201, responses.member],
      refusals: [403, 404, 409, 422],
    }),
    params(idParam),
    async (c) => {
      const { id } = c.req.valid("param");
      const [{ member }] = await c.var.db((tx) =>
        tx`select private.accept_invitation_by_id(${id}) as member`
      );
      return c.json({ member }, 201);
    },
  );
