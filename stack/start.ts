// `deno task start`: boots the dev stack (installing what is missing), runs the demo execution
// (stack/demo.ts; `up` runs the fake Gemini unless GEMINI_API_KEY is set), prints how to use the stack, and
// keeps serving until Ctrl-C, when it stops the stack's processes.
import { prepareGemini, runDemo } from "./demo.ts";
import { stackPaths } from "./paths.ts";
import { alive, readPid } from "./processes.ts";
import { down, up } from "./stack.ts";
import { printUsage } from "./usage.ts";

const hostWasRunning = alive(readPid(stackPaths("dev"), "functions"));
const state = await up("dev", { geminiFake: true });
await prepareGemini(state, hostWasRunning);
await runDemo(state);
await printUsage(state);
console.log("\nserving — press Ctrl-C to stop the stack");

// Ctrl-C reaches this process twice (from the terminal and forwarded by `deno task`): stop once.
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log("\nstopping the stack …");
  await down("dev");
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
setInterval(() => {}, 1 << 30);
