// The [auth] settings of supabase/config.toml that Supabase Auth (GoTrue) would be started
// with, read the way the Supabase CLI reads them, with the CLI's defaults for what is unset.
import { parse } from "smol-toml";

export interface AuthConfig {
  siteUrl: string;
  additionalRedirectUrls: string[];
  jwtExpiry: number;
  refreshTokenRotation: boolean;
  refreshTokenReuseInterval: number;
  enableSignup: boolean;
  enableAnonymousSignIns: boolean;
  emailSignup: boolean;
  emailConfirmations: boolean;
  minimumPasswordLength: number;
  /** Seconds an e-mailed link or code stays valid ([auth.email] otp_expiry). */
  otpExpiry: number;
  /** Seconds before the same address may be sent another e-mail ([auth.email] max_frequency). */
  maxFrequency: number;
}

/** Go duration strings as GoTrue and the CLI accept them: "1s", "1m30s", "24h". */
export function parseGoDuration(value: string): number | null {
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (!parts.length || parts.map((p) => p[0]).join("") !== value) return null;
  const unit: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  return parts.reduce((sum, [, n, u]) => sum + Number(n) * unit[u], 0);
}

type Section = Record<string, unknown>;

export async function readAuthConfig(configPath: string): Promise<AuthConfig> {
  let auth: Section = {};
  try {
    auth = ((parse(await Deno.readTextFile(configPath)) as Section).auth ?? {}) as Section;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const email = (auth.email ?? {}) as Section;
  const num = (v: unknown, d: number) => (typeof v === "number" ? v : d);
  const bool = (v: unknown, d: boolean) => (typeof v === "boolean" ? v : d);
  return {
    siteUrl: typeof auth.site_url === "string" ? auth.site_url : "http://127.0.0.1:3000",
    additionalRedirectUrls: Array.isArray(auth.additional_redirect_urls)
      ? auth.additional_redirect_urls.map(String)
      : [],
    jwtExpiry: num(auth.jwt_expiry, 3600),
    refreshTokenRotation: bool(auth.enable_refresh_token_rotation, true),
    refreshTokenReuseInterval: num(auth.refresh_token_reuse_interval, 10),
    enableSignup: bool(auth.enable_signup, true),
    enableAnonymousSignIns: bool(auth.enable_anonymous_sign_ins, false),
    emailSignup: bool(email.enable_signup, true),
    emailConfirmations: bool(email.enable_confirmations, false),
    minimumPasswordLength: num(auth.minimum_password_length, 6),
    otpExpiry: num(email.otp_expiry, 3600),
    maxFrequency: parseGoDuration(String(email.max_frequency ?? "1s")) ?? 1,
  };
}
