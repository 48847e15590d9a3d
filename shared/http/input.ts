// The route's input, validated by middleware before the handler runs: `body(schema)`,
// `query(schema)`, `params(schema)`, `headers(schema)`. Each parses with the shared zod
// schemas (400 `invalid_request` naming every bad field) and hands the handler the typed
// result as `c.req.valid("json" | "query" | "param" | "header")`. Each also carries its
// target and schema, so the API description is built from the validators themselves.
import type { MiddlewareHandler } from "hono";
import { resolver, uniqueSymbol } from "hono-openapi";
import type { z } from "zod";
import { parse } from "../validation/common.ts";
import { readJson } from "./body.ts";

export type InputTarget = "json" | "query" | "param" | "header";

/** Marks a validator middleware with what it validates (read by the route table). */
export const inputSpec = Symbol.for("masstock.input");

export interface InputSpec {
  target: InputTarget;
  schema: z.ZodType;
}

type Validator<Target extends InputTarget, T extends z.ZodType> =
  & MiddlewareHandler<
    // deno-lint-ignore no-explicit-any
    any,
    string,
    { in: { [K in Target]: z.input<T> }; out: { [K in Target]: z.output<T> } }
  >
  & { [inputSpec]: InputSpec };

const where: Record<InputTarget, string> = {
  json: "body",
  query: "query",
  param: "path",
  header: "headers",
};

function validator<Target extends InputTarget, T extends z.ZodType>(
  target: Target,
  schema: T,
  read: (req: Request, params: () => Record<string, string>) => unknown | Promise<unknown>,
): Validator<Target, T> {
  const mw: MiddlewareHandler = async (c, next) => {
    const value = parse(schema, await read(c.req.raw, () => c.req.param()), where[target]);
    c.req.addValidatedData(target, value as Record<string, unknown>);
    await next();
  };
  // hono-openapi finds validators by its marker and describes them with their own schema.
  return Object.assign(mw, {
    [inputSpec]: { target, schema },
    [uniqueSymbol]: { target, ...resolver(schema) },
  }) as Validator<Target, T>;
}

/** A JSON body (415/413/400 from readJson first). */
export const body = <T extends z.ZodType>(schema: T) => validator("json", schema, readJson);

/** The query string (single-valued keys). */
export const query = <T extends z.ZodType>(schema: T) =>
  validator("query", schema, (req) => Object.fromEntries(new URL(req.url).searchParams));

/** The path parameters of the route. */
export const params = <T extends z.ZodType>(schema: T) =>
  validator("param", schema, (_req, all) => all());

/** Request headers, by the names the schema's keys give (matched case-insensitively). */
export const headers = <T extends z.ZodObject>(schema: T) =>
  validator("header", schema, (req) =>
    Object.fromEntries(
      Object.keys(schema.shape).flatMap((name) => {
        const value = req.headers.get(name);
        return value === null ? [] : [[name, value]];
      }),
    ));

/** A JSON body that may be left out entirely (no content-type, no bytes): then `{}` is parsed. */
export const optionalBody = <T extends z.ZodType>(schema: T) =>
  validator("json", schema, (req) => {
    const declared = req.headers.get("content-length");
    const absent = !req.headers.get("content-type") && (declared === null || declared === "0");
    return absent ? {} : readJson(req);
  });
