// The API description agrees with the code: every route of every function's app is in its
// OpenAPI document with that method, every input the route validates is described with the
// schema that validates it (body, query, path and header parameters, required or not), and
// the hardening catalogue's oracles are those same schemas.
import assert from "node:assert/strict";
import { z } from "zod";
import { type InputSpec, inputSpec } from "../../shared/http/input.ts";
import { specOf } from "../../shared/http/openapi.ts";
import { routeName, routes as catalogue } from "../helpers/hardening-routes.ts";

type Handler = ((...args: unknown[]) => unknown) & { [inputSpec]?: InputSpec };
type AppLike = {
  routes: { method: string; path: string; handler: Handler }[];
};
type Operation = {
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses?: Record<string, unknown>;
};

const functionsDir = new URL("../../supabase/functions/", import.meta.url);

async function functionApps(): Promise<{ name: string; app: AppLike }[]> {
  const out: { name: string; app: AppLike }[] = [];
  for await (const dir of Deno.readDir(functionsDir)) {
    if (!dir.isDirectory || dir.name.startsWith("_") || dir.name.startsWith(".")) continue;
    const { app } = await import(new URL(`${dir.name}/app.ts`, functionsDir).href);
    out.push({ name: dir.name, app });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Route path in OpenAPI form (`/tickets/{id}`). */
const openapiPath = (path: string) => path.replace(/:([A-Za-z_]+)/g, "{$1}");

/** The input validators of each route, from the app's route table. */
function validatorsOf(app: AppLike) {
  const byRoute = new Map<string, InputSpec[]>();
  for (const r of app.routes) {
    if (r.method === "ALL") continue;
    const key = `${r.method} ${r.path}`;
    if (!byRoute.has(key)) byRoute.set(key, []);
    const spec = r.handler[inputSpec];
    if (spec) byRoute.get(key)!.push(spec);
  }
  return byRoute;
}

function parameterProblems(op: Operation, v: InputSpec, where: string): string[] {
  const shape = (v.schema as z.ZodObject).shape as Record<string, z.ZodType> | undefined;
  if (!shape) return [`${where}: ${v.target} schema is not an object`];
  const place = { query: "query", param: "path", header: "header" }[v.target as string];
  const described = (op.parameters ?? []).filter((p) => p.in === place);
  const problems: string[] = [];
  const names = described.map((p) => p.name.toLowerCase()).sort();
  const expected = Object.keys(shape).map((k) => k.toLowerCase()).sort();
  if (JSON.stringify(names) !== JSON.stringify(expected)) {
    problems.push(`${where}: ${place} parameters ${names} but the validator takes ${expected}`);
  }
  for (const [key, schema] of Object.entries(shape)) {
    const p = described.find((d) => d.name.toLowerCase() === key.toLowerCase());
    const required = !schema.safeParse(undefined).success;
    if (p && Boolean(p.required) !== required) {
      problems.push(`${where}: ${place} ${key} required=${p.required}, validator ${required}`);
    }
  }
  return problems;
}

Deno.test("openapi: every route is described as its validators validate", async () => {
  const problems: string[] = [];
  let operations = 0;
  for (const { name, app } of await functionApps()) {
    const spec = await specOf(app as never, name) as {
      paths: Record<string, Record<string, Operation>>;
    };
    for (const [key, validators] of validatorsOf(app)) {
      const [method, path] = key.split(" ");
      if (path === `/${name}/openapi.json`) continue;
      const where = `${name}: ${key}`;
      const op = spec.paths[openapiPath(path)]?.[method.toLowerCase()];
      if (!op) {
        problems.push(`${where}: not in the spec`);
        continue;
      }
      operations++;
      if (!op.responses || !Object.keys(op.responses).some((s) => s.startsWith("2"))) {
        problems.push(`${where}: no success response described`);
      }
      const body = validators.find((v) => v.target === "json");
      const described = op.requestBody?.content?.["application/json"]?.schema;
      if (body) {
        const expected = z.toJSONSchema(body.schema, { io: "input", unrepresentable: "any" });
        const { $schema: _, ...want } = expected as Record<string, unknown>;
        try {
          assert.deepEqual(described, want);
        } catch {
          problems.push(`${where}: request body schema differs from the validator's`);
        }
      } else if (described) problems.push(`${where}: a body is described but none is validated`);
      for (const v of validators.filter((v) => v.target !== "json")) {
        problems.push(...parameterProblems(op, v, where));
      }
      const validated = new Set(validators.map((v) => v.target));
      for (const p of op.parameters ?? []) {
        const target = { query: "query", path: "param", header: "header" }[p.in];
        if (!target || !validated.has(target as InputSpec["target"])) {
          problems.push(`${where}: parameter ${p.in} ${p.name} is described but not validated`);
        }
      }
    }
    const described = Object.entries(spec.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)
    );
    const declared = [...validatorsOf(app).keys()].filter((k) => !k.endsWith("/openapi.json"))
      .map((k) => `${k.split(" ")[0]} ${openapiPath(k.split(" ")[1])}`);
    for (const d of described) {
      if (!declared.includes(d)) problems.push(`${name}: ${d} is in the spec but not a route`);
    }
  }
  assert.ok(operations >= 40, `only ${operations} operations: is the walk broken?`);
  assert.deepEqual(problems, []);
});

Deno.test("openapi: the hardening catalogue fuzzes with the validators' own schemas", async () => {
  const problems: string[] = [];
  for (const { name, app } of await functionApps()) {
    const validators = validatorsOf(app);
    for (const route of catalogue.filter((r) => r.fn === name)) {
      const key = `${route.method} /${name}${route.path === "/" ? "" : route.path}`;
      const specs = validators.get(key) ?? [];
      const check = (target: InputSpec["target"], schema: z.ZodType | undefined) => {
        const v = specs.find((s) => s.target === target);
        if (schema && v && v.schema !== schema) {
          problems.push(`${routeName(route)}: catalogue ${target} schema is not the validator's`);
        }
        if (schema && !v) problems.push(`${routeName(route)}: no ${target} validator`);
      };
      check("json", route.body?.schema);
      check("query", route.query?.schema);
      check("param", route.paramSchema);
    }
  }
  assert.deepEqual(problems, []);
});
