// Overlapped hand-offs between the links of one execution (see the chain_handoff migration):
// a link asks for its successor `handoffLeadMs` before its claim window closes, longer than a
// pg_net hop can take (up to ~1 s when pg_net's worker is busy), and a successor that finds
// every slot still held waits for them until the predecessor's items are done.
import { asService } from "../db/db.ts";

/** Enqueues the next link if work is left; the current one stops claiming in `dueInMs`. */
export async function enqueueSuccessor(executionId: string, dueInMs: number): Promise<boolean> {
  const [row] = await asService((tx) =>
    tx`select private.enqueue_successor_link(${executionId}, ${Math.round(dueInMs)}) as r`
  );
  return row.r !== null;
}

/** How long this link should keep polling for slots a predecessor is handing over (ms). */
export async function successorWaitMs(executionId: string, graceMs: number): Promise<number> {
  const [row] = await asService((tx) =>
    tx`select private.successor_wait_ms(${executionId}, ${Math.round(graceMs)}) as r`
  );
  return Number(row.r ?? 0);
}
