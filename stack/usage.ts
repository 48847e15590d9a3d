// What `deno task start` prints once the stack is up: URLs, keys and a copy-paste call.
import { tokenFor } from "./stack.ts";
import type { StackState } from "./stack.ts";

export async function printUsage(state: StackState): Promise<void> {
  const token = await tokenFor(state.instance, "collaborator@acme.test");
  console.log(`
MasStock local stack (${state.instance})
  API (functions, storage, JWKS)  ${state.apiUrl}
  Functions                       ${state.apiUrl}/functions/v1/<name>
  API reference (OpenAPI, try it) ${state.apiUrl}/docs   (merged spec: /docs/openapi.json)
  Realtime (Broadcast)            ${state.apiUrl.replace(/^http/, "ws")}/realtime/v1/websocket
  Database                        ${state.dbUrl}
  SUPABASE_ANON_KEY               ${state.anonKey}
  SUPABASE_SERVICE_ROLE_KEY       ${state.serviceRoleKey}
  publishable / secret keys       ${state.publishableKey} / ${state.secretKey}
  Gemini                          ${state.geminiBaseUrl ?? "(see deno task stack env)"}

Seeded users: admin@masstock.test, owner@acme.test, collaborator@acme.test, owner@globex.test
  dev password:  masstock-demo   (sign in at ${state.apiUrl}/auth/v1, e.g. supabase.auth.signInWithPassword)
  access token:  deno task stack token collaborator@acme.test
  variables:     deno task stack env   (also in .local/stack.env)
  mail outbox:   ${state.apiUrl}/mail/api/v1/messages   (invite and magic-link mails; files in .local/${state.instance}/mail/)

Try it:
  curl -s ${state.apiUrl}/functions/v1/health -H "Authorization: Bearer ${token.slice(0, 24)}…"
  # or from JavaScript, signed in through the local Auth:
  #   const supabase = createClient("${state.apiUrl}", SUPABASE_ANON_KEY);
  #   await supabase.auth.signInWithPassword({ email: "collaborator@acme.test", password: "masstock-demo" });
  #   await supabase.functions.invoke("manage-members/me", { method: "GET" });
  #   await supabase.functions.invoke("health", { method: "GET" });
  #   const { data } = await supabase.functions.invoke("start-execution",
  #     { body: { workflow_id: "e0000000-0000-4000-8000-000000000001", prompts: ["a red fox"] } });
  #   await supabase.functions.invoke(\`start-execution/\${data.execution.id}\`, { method: "GET" });
  #   // live progress (README "Live progress"); with the accessToken option, first:
  #   await supabase.realtime.setAuth();
  #   supabase.channel(\`execution:\${data.execution.id}\`, { config: { private: true } })
  #     .on("broadcast", { event: "progress" }, ({ payload }) => console.log(payload.progress))
  #     .subscribe();`);
}
