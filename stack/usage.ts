// What `deno task start` prints once the stack is up: URLs, keys and a copy-paste call.
import { tokenFor } from "./stack.ts";
import type { StackState } from "./stack.ts";

export async function printUsage(state: StackState): Promise<void> {
  const token = await tokenFor(state.instance, "collaborator@acme.test");
  console.log(`
MasStock local stack (${state.instance})
  API (functions, storage, JWKS)  ${state.apiUrl}
  Functions                       ${state.apiUrl}/functions/v1/<name>
  Database                        ${state.dbUrl}
  SUPABASE_ANON_KEY               ${state.anonKey}
  SUPABASE_SERVICE_ROLE_KEY       ${state.serviceRoleKey}
  publishable / secret keys       ${state.publishableKey} / ${state.secretKey}
  Gemini                          ${state.geminiBaseUrl ?? "(see deno task stack env)"}

Seeded users: admin@masstock.test, owner@acme.test, collaborator@acme.test, owner@globex.test
  access token:  deno task stack token collaborator@acme.test
  variables:     deno task stack env   (also in .local/stack.env)

Try it:
  curl -s ${state.apiUrl}/functions/v1/health -H "Authorization: Bearer ${token.slice(0, 24)}…"
  # or from JavaScript:
  #   const supabase = createClient("${state.apiUrl}", SUPABASE_ANON_KEY,
  #     { global: { headers: { Authorization: \`Bearer \${token}\` } } });
  #   await supabase.functions.invoke("health", { method: "GET" });
  #   const { data } = await supabase.functions.invoke("start-execution",
  #     { body: { workflow_id: "e0000000-0000-4000-8000-000000000001", prompts: ["a red fox"] } });
  #   await supabase.functions.invoke(\`start-execution/\${data.id}\`, { method: "GET" });`);
}
