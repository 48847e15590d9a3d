// `deno task stack up|down|status|env|token <email>|reset` — detached control of the local
// stack. STACK_INSTANCE=test|bench selects another instance (default dev).
import { instanceFromEnv } from "./paths.ts";
import { down, envLines, readState, reset, status, tokenFor, up } from "./stack.ts";

const usage = "usage: deno task stack up|down|status|env|token <email>|reset";

async function main(args: string[]): Promise<number> {
  const instance = instanceFromEnv();
  switch (args[0]) {
    case "up":
      await up(instance, { geminiFake: true });
      return 0;
    case "down":
      await down(instance);
      console.log(`[stack:${instance}] stopped`);
      return 0;
    case "reset":
      await reset(instance);
      await up(instance, { geminiFake: true });
      return 0;
    case "status": {
      const s = await status(instance);
      for (const [name, value] of Object.entries(s)) console.log(`${name.padEnd(10)} ${value}`);
      return Object.values(s).every((v) => v.startsWith("running")) ? 0 : 3;
    }
    case "env": {
      const state = readState(instance);
      if (!state) {
        console.error(`the ${instance} stack has never been started: deno task stack up`);
        return 1;
      }
      Deno.stdout.writeSync(new TextEncoder().encode(envLines(state)));
      return 0;
    }
    case "token":
      if (!args[1]) {
        console.error(usage);
        return 2;
      }
      console.log(await tokenFor(instance, args[1]));
      return 0;
    default:
      console.error(usage);
      return 2;
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`stack: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
