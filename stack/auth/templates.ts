// GoTrue's default e-mail templates (subject and body), with {{ .ConfirmationURL }} and
// {{ .Token }} filled in.
import type { Link } from "./links.ts";

const templates: Record<
  Link["type"],
  { subject: string; body: (l: Link, site: string) => string }
> = {
  invite: {
    subject: "You have been invited",
    body: (l, site) =>
      `<h2>You have been invited</h2>\n\n<p>You have been invited to create a user on ${site}. Follow this link to accept the invite:</p>\n<p><a href="${l.actionLink}">Accept the invite</a></p>`,
  },
  signup: {
    subject: "Confirm Your Email",
    body: (l) =>
      `<h2>Confirm your email</h2>\n\n<p>Follow this link to confirm your email:</p>\n<p><a href="${l.actionLink}">Confirm your email address</a></p>\n<p>Alternatively, enter the code: ${l.otp}</p>`,
  },
  magiclink: {
    subject: "Your Magic Link",
    body: (l) =>
      `<h2>Magic Link</h2>\n\n<p>Follow this link to login:</p>\n<p><a href="${l.actionLink}">Log In</a></p>\n<p>Alternatively, enter the code: ${l.otp}</p>`,
  },
  recovery: {
    subject: "Reset Your Password",
    body: (l) =>
      `<h2>Reset Password</h2>\n\n<p>Follow this link to reset the password for your user:</p>\n<p><a href="${l.actionLink}">Reset Password</a></p>\n<p>Alternatively, enter the code: ${l.otp}</p>`,
  },
};

export function renderMail(link: Link, siteUrl: string) {
  const t = templates[link.type];
  const html = t.body(link, siteUrl);
  const text = html.replace(/<a href="([^"]+)">([^<]*)<\/a>/g, "$2: $1").replace(/<[^>]+>/g, "");
  return { subject: t.subject, html, text, template: link.type };
}
