// The deploy check's view of one uploaded function: ONLY the files the CLI uploaded, written
// into an empty folder under their upload names, and Deno 2.1's own module graph of the
// entrypoint resolved with `--no-config` and only the uploaded import map. Every module Deno
// cannot find (a file the CLI did not upload) and every specifier it cannot resolve (a bare
// import the map lacks, type-only imports included) is a problem the hosted bundler would hit.
import { dirname, isAbsolute, join, normalize } from "node:path";
import type { UploadedFile } from "./management-api.ts";

/** Writes the uploaded files under `dir`; answers the problems (unsafe or conflicting names). */
export async function layOut(files: UploadedFile[], dir: string): Promise<string[]> {
  const problems: string[] = [];
  const written = new Map<string, Uint8Array>();
  for (const file of files) {
    const name = normalize(file.name);
    if (isAbsolute(name) || name === ".." || name.startsWith("../")) {
      problems.push(`uploaded file ${file.name} lies outside the project`);
      continue;
    }
    const earlier = written.get(name);
    if (earlier) {
      if (earlier.length !== file.content.length || earlier.some((b, i) => b !== file.content[i])) {
        problems.push(`uploaded file ${file.name} twice with different contents`);
      }
      continue;
    }
    written.set(name, file.content);
    await Deno.mkdir(join(dir, dirname(name)), { recursive: true });
    await Deno.writeFile(join(dir, name), file.content);
  }
  return problems;
}

interface GraphModule {
  specifier: string;
  error?: string;
  dependencies?: {
    specifier: string;
    code?: { error?: string };
    type?: { error?: string };
  }[];
}

function shortName(specifier: string, dir: string): string {
  const prefix = `file://${dir}/`;
  return specifier.startsWith(prefix) ? specifier.slice(prefix.length) : specifier;
}

/** Resolution problems in the entrypoint's module graph, as Deno 2.1 sees the laid-out files. */
export async function graphProblems(
  deno: { path: string; env: Record<string, string> },
  dir: string,
  entrypoint: string,
  importMap: string,
): Promise<string[]> {
  const out = await new Deno.Command(deno.path, {
    args: [
      "info",
      "--json",
      "--no-config",
      ...(importMap ? ["--import-map", join(dir, importMap)] : []),
      join(dir, entrypoint),
    ],
    cwd: dir,
    env: { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? dir, ...deno.env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    return [`deno info failed: ${new TextDecoder().decode(out.stderr).trim().slice(-2000)}`];
  }
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: GraphModule[] };
  const problems = new Set<string>();
  for (const mod of graph.modules) {
    const where = shortName(mod.specifier, dir);
    if (mod.error) {
      problems.add(
        /not found/i.test(mod.error)
          ? `missing file: ${where} was not uploaded (${mod.error})`
          : `${where}: ${mod.error}`,
      );
    }
    for (const dep of mod.dependencies ?? []) {
      const error = dep.code?.error ?? dep.type?.error;
      if (!error) continue;
      problems.add(
        /not in import map/i.test(error)
          ? `unmapped specifier "${dep.specifier}" imported by ${where}`
          : `${where} -> ${dep.specifier}: ${error}`,
      );
    }
  }
  return [...problems];
}
