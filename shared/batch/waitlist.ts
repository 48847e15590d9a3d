// One waiting mechanism per client (see the batch_waitlist migration): a link whose execution
// gets no slot because of the client's cap or its share of the global one, and that holds no
// item, registers the execution as waiting and ends instead of polling; the claim that leaves
// capacity unused kicks the waiters it can serve.
import { asService } from "../db/db.ts";

export type WaitVerdict = "queued" | "retry" | "poll" | "done";

/** Registers the execution as waiting unless capacity freed, another link holds it, or it is done. */
export async function waitForSlot(executionId: string): Promise<WaitVerdict> {
  const [row] = await asService((tx) =>
    tx`select private.wait_for_batch_slot(${executionId}) as r`
  );
  return row.r as WaitVerdict;
}

/** Kicks the waiting executions the capacity free now can serve (a link's last word). */
export async function wakeWaiters(clientId: string): Promise<number> {
  const [row] = await asService((tx) => tx`select private.wake_batch_waiters(${clientId}) as r`);
  return Number(row.r ?? 0);
}
