// Prints the README's error table from the catalogue (shared/core/error-codes.ts):
//   deno run stack/error-table.ts
// tests/hardening/error_catalogue.test.ts fails while the README's copy differs.
import { errorCodes } from "../shared/core/error-codes.ts";

const rows = Object.entries(errorCodes).map(([code, { status, meaning }]) => [
  `\`${code}\``,
  String(status),
  meaning,
]);
const header = ["code", "status", "meaning"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
console.log(
  [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join(
    "\n",
  ),
);
