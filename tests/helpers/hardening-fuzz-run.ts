// Runs the fuzz cases of one route against the stack and checks every answer and the database:
// shared by the fast suite (500 cases a route) and the soak (20,000 a route, time-bounded).
import { casesFor } from "./hardening-fuzz.ts";
import { changedTables, fingerprint, quiesce } from "./hardening-db.ts";
import {
  type Answer,
  clip,
  errorShapeProblem,
  hostUp,
  percentile,
  pool,
  send,
} from "./hardening-http.ts";
import type { Route } from "./hardening-routes.ts";
import { type Actor, tokenOf, type World } from "./hardening-world.ts";
import { stack } from "./stack.ts";

export interface FuzzStats {
  cases: number;
  byStatus: Record<number, number>;
  byKind: Record<string, number>;
  problems: string[];
  changed: string[];
  hostUp: boolean;
  ms: number;
  p95: number;
}

/** Headers that authenticate `actor` as the frontend (or the service) would. */
export async function authHeaders(
  world: World,
  actor: Actor | "service",
): Promise<Record<string, string>> {
  if (actor === "service") return { apikey: stack().secretKey };
  return { apikey: stack().anonKey, authorization: `Bearer ${await tokenOf(world, actor)}` };
}

// Internals that must never reach a caller, whatever it sent.
const leak =
  /PostgresError|ZodError|\.ts:\d+:\d+|syntax error at or near|at async |relation ".*" does not exist/;

/** Why `answer` breaks the rules for an input of this kind, or null. */
export function answerProblem(
  route: Route,
  expect: "invalid" | "probe",
  allowed: number[] | undefined,
  a: Answer,
): string | null {
  if (a.status >= 500) return `answered ${a.status}: ${clip(a.text)}`;
  if (a.status >= 400) {
    const shape = errorShapeProblem(a);
    if (shape) return `error shape (${shape}): ${clip(a.text)}`;
  }
  if (leak.test(a.text)) return `leaks internals: ${clip(a.text)}`;
  if (expect === "invalid" && !(allowed ?? [400]).includes(a.status)) {
    return `invalid input answered ${a.status} (want ${allowed?.join("/")}): ${clip(a.text)}`;
  }
  if (expect === "probe" && route.writes && a.status < 400) {
    return `write route accepted a probe with ${a.status}: ${clip(a.text)}`;
  }
  return null;
}

export async function fuzzRoute(
  route: Route,
  world: World,
  options: { cases: number; seed: number; concurrency: number; deadline?: number },
): Promise<FuzzStats> {
  const auth = await authHeaders(world, route.actor);
  await quiesce();
  const before = await fingerprint();
  const started = performance.now();
  const stats: FuzzStats = {
    cases: 0,
    byStatus: {},
    byKind: {},
    problems: [],
    changed: [],
    hostUp: true,
    ms: 0,
    p95: 0,
  };
  const latencies: number[] = [];
  // Chunks keep memory flat on 20,000 cases and let the soak stop at its deadline.
  const chunk = 500;
  for (let done = 0; done < options.cases; done += chunk) {
    if (options.deadline && Date.now() > options.deadline) break;
    const cases = casesFor(
      route,
      world,
      world.a,
      auth,
      Math.min(chunk, options.cases - done),
      options.seed + done * 7919,
    );
    if (cases.length === 0) break;
    await pool(cases, options.concurrency, async (c) => {
      let answer: Answer;
      try {
        answer = await send(c.sent);
      } catch (err) {
        stats.problems.push(`[${c.kind}] request failed: ${err}`);
        return;
      }
      latencies.push(answer.ms);
      stats.cases++;
      stats.byStatus[answer.status] = (stats.byStatus[answer.status] ?? 0) + 1;
      stats.byKind[c.kind] = (stats.byKind[c.kind] ?? 0) + 1;
      const problem = answerProblem(route, c.expect, c.allowed, answer);
      if (problem) {
        stats.problems.push(
          `[${c.kind}] ${c.sent.method} ${clip(c.sent.path, 200)} body=${
            clip(c.sent.body ?? "", 200)
          } ` +
            `headers=${
              clip(
                JSON.stringify({ ...c.sent.headers, authorization: undefined, apikey: undefined }),
                150,
              )
            } -> ${problem}`,
        );
      }
    });
  }
  stats.ms = performance.now() - started;
  stats.p95 = percentile(latencies, 95);
  stats.hostUp = await hostUp();
  stats.changed = changedTables(before, await fingerprint());
  return stats;
}
