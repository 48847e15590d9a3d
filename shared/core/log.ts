// The one logger: a JSON line per event on stdout (errors on stderr), which is what Supabase's
// function logs index. Every layer logs through it, so it sits at the bottom with the errors.
export type LogLevel = "info" | "warn" | "error";

export function log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields });
  if (level === "error") console.error(line);
  else console.log(line);
}
