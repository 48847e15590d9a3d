// `deno task start`: boots the dev stack (installing what is missing), prints how to use it,
// and keeps serving until Ctrl-C, when it stops the stack's processes.
import { down, up } from "./stack.ts";
import { printUsage } from "./usage.ts";

const state = await up("dev");
await printUsage(state);
console.log("\nserving — press Ctrl-C to stop the stack");

const stop = async () => {
  console.log("\nstopping the stack …");
  await down("dev");
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
setInterval(() => {}, 1 << 30);
