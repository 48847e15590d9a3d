// A client's stored Gemini API key (manage-members/clients/:clientId/gemini-key): owners set
// or rotate it with PUT; it is never answered back, only its fingerprint and status.
import { z } from "zod";
import { geminiApiKey } from "./executions.ts";

export const geminiKeyBody = z.strictObject({ api_key: geminiApiKey });
export type GeminiKeyBody = z.infer<typeof geminiKeyBody>;

/** What owners see of the stored key (GET/PUT/DELETE answer it under `gemini_key`). */
export interface GeminiKeyView {
  client_id: string;
  fingerprint: string;
  status: "active" | "rejected";
  set_at: string;
  set_by: string | null;
  rejected_at: string | null;
  rejected_reason: string | null;
}
