// Describes the machine a run happened on, so a results file explains its own numbers.
import { cpus } from "node:os";
import type postgres from "postgres";

export interface Machine {
  cpu_model: string;
  cores: number;
  memory_gb: number;
  os: string;
  deno: string;
  v8: string;
  postgres: string;
}

function cpuModel(): string {
  const model = cpus()[0]?.model?.trim();
  if (model) return model;
  try {
    const line = Deno.readTextFileSync("/proc/cpuinfo").split("\n")
      .find((l) => l.startsWith("model name"));
    return line?.split(":")[1]?.trim() ?? "unknown";
  } catch {
    return "unknown";
  }
}

export async function describeMachine(sql: postgres.Sql): Promise<Machine> {
  const [{ version }] = await sql<{ version: string }[]>`select version()`;
  return {
    cpu_model: cpuModel(),
    cores: navigator.hardwareConcurrency,
    memory_gb: Math.round(Deno.systemMemoryInfo().total / 1024 ** 3 * 10) / 10,
    os: `${Deno.build.os} ${Deno.osRelease()} (${Deno.build.arch})`,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    postgres: version,
  };
}
