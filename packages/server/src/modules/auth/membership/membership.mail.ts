import { type Config, publicLink } from '../../../config/config.ts';
import type { Role } from '../../../db/schema.ts';
import type { MailMessage } from '../../../lib/mailer/index.ts';

/**
 * The two mails of the membership flows, plain text and HTML. Links come from the configured
 * public URL only (never `Host` or `X-Forwarded-Host`, which a requester chooses: a reset link
 * pointing at their host would hand them the token), with the secret in the fragment so it
 * never reaches a server log or a `Referer`.
 */

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
// An organization's name is chosen by its members: in a subject it must stay on one line.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const oneLine = (value: string) => value.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 80);

const ROLE_NAMES: Record<Role, string> = {
  OWNER: 'owner',
  ADMIN: 'administrator',
  ENGINEER: 'engineer',
  VIEWER: 'viewer',
  CLIENT_OWNER: 'client owner',
  CLIENT_MEMBER: 'client member',
};

function page(paragraphs: string[], link: string, label: string): string {
  const body = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
  return `<!doctype html>
<html><body style="font-family: sans-serif">
${body}
<p><a href="${escapeHtml(link)}">${escapeHtml(label)}</a></p>
<p style="color:#666">If the button does not work, copy this address into your browser: ${escapeHtml(link)}</p>
</body></html>`;
}

export function invitationMail(
  config: Pick<Config, 'publicUrl'>,
  input: { to: string; token: string; orgId: string; orgName: string; role: Role; expiresAt: Date },
): MailMessage {
  const link = publicLink(config, 'invite', `token=${input.token}`);
  const org = oneLine(input.orgName);
  const intro = `You are invited to join ${org} on Vigil as ${ROLE_NAMES[input.role]}.`;
  const expiry = `The invitation works once and expires on ${input.expiresAt.toUTCString()}.`;
  const ignore = 'If you did not expect it, ignore this mail: nothing happens until the link is used.';
  return {
    to: input.to,
    subject: `You are invited to ${org} on Vigil`,
    text: `${intro}\n\nAccept it here:\n${link}\n\n${expiry}\n${ignore}\n`,
    html: page([intro, expiry, ignore], link, 'Accept the invitation'),
    purpose: 'invite',
    orgId: input.orgId,
  };
}

export function passwordResetMail(config: Pick<Config, 'publicUrl'>, input: { to: string; token: string; expiresAt: Date }): MailMessage {
  const link = publicLink(config, 'reset-password', `token=${input.token}`);
  const intro = 'Someone asked to reset the password of your Vigil account.';
  const expiry = `The link works once and expires on ${input.expiresAt.toUTCString()}. Resetting signs out every session.`;
  const ignore = 'If it was not you, ignore this mail: your password stays as it is.';
  return {
    to: input.to,
    subject: 'Reset your Vigil password',
    text: `${intro}\n\nChoose a new password here:\n${link}\n\n${expiry}\n${ignore}\n`,
    html: page([intro, expiry, ignore], link, 'Choose a new password'),
    // No orgId: a reset link is the account holder's alone; no organization's admins may read it.
    purpose: 'password_reset',
  };
}
