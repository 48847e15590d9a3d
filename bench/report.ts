// Turns results into the printed table (Markdown, so it pastes into the README as is), the
// compact plans below it, and the JSON file under bench/results/.
import { join } from "node:path";
import type { Machine } from "./machine.ts";
import { passed } from "./types.ts";
import type { BenchResult } from "./types.ts";

export interface RunRecord {
  machine: Machine;
  started_at: string;
  finished_at: string;
  command: string;
  results: BenchResult[];
}

function formatNumber(value: number | string): string {
  if (typeof value === "string") return value;
  if (Number.isInteger(value)) return String(value);
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(3);
}

function verdict(result: BenchResult): string {
  const ok = passed(result);
  if (ok === null) return "-";
  if (ok) return "pass";
  const failed = (result.checks ?? []).filter((c) => !c.pass).map((c) => c.name);
  return failed.length ? `FAIL (${failed.join("; ")})` : "FAIL";
}

export function formatTable(results: BenchResult[]): string {
  const header = ["benchmark", "figure", "ratio", "target", "result", "absolute numbers"];
  const rows = results.map((r) => [
    r.benchmark,
    r.figure,
    Number.isFinite(r.ratio) ? r.ratio.toFixed(2) : "n/a",
    r.target ? `${r.target.op} ${r.target.value}` : "-",
    verdict(r),
    Object.entries(r.numbers).map(([k, v]) => `${k} ${formatNumber(v)}`).join(", "),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)]
    .join("\n");
}

/** Plans a benchmark chose to show (details.plans: label -> compact plan text). */
export function formatPlans(results: BenchResult[]): string {
  const blocks: string[] = [];
  for (const r of results) {
    const plans = r.details?.plans as Record<string, string> | undefined;
    if (!plans) continue;
    for (const [label, plan] of Object.entries(plans)) {
      blocks.push(`-- ${r.benchmark} / ${r.figure} / ${label}\n${plan}`);
    }
  }
  return blocks.join("\n\n");
}

export async function writeRecord(dir: string, record: RunRecord): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const stamp = record.started_at.replace(/[:.]/g, "-");
  const file = join(dir, `${stamp}.json`);
  await Deno.writeTextFile(file, JSON.stringify(record, null, 2) + "\n");
  return file;
}
