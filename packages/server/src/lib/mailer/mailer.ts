import type { ConnectionOptions } from 'node:tls';
import nodemailer from 'nodemailer';
import type { Config } from '../../config/config.ts';
import type { Db } from '../../db/database.ts';
import { mailOutbox } from '../../db/schema.ts';
import { withSystem } from '../../db/tenant.ts';
import type { Logger } from '../../logger.ts';
import { isMailAddress } from './address.ts';
import { mailError } from './mail.errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PURPOSE = /^[a-z][a-z0-9_]{0,49}$/;
// Any control character but tab: CR and LF would start a new header (header injection), the
// others have no business in a subject line.
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const HEADER_UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f]/;
const SUBJECT_MAX = 200;
/** Connect, greeting and idle-socket limits: a stalled server must not hold a request forever. */
export const SMTP_TIMEOUT_MS = 30_000;

export interface MailMessage {
  /** One bare address (no display name, no list). */
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** What the mail is for, e.g. `invite`, `password_reset`: lower-case, shown in the outbox. */
  purpose: string;
  /** The organization the mail concerns, if any: its owners and admins see it in the outbox. */
  orgId?: string;
}

export interface SendResult {
  delivered: 'smtp' | 'outbox';
  /** The outbox row's id, or the Message-ID the SMTP server accepted. */
  id: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<SendResult>;
  /** Closes the SMTP connection pool (a no-op for the outbox). */
  close(): void;
}

export interface MailerDeps {
  /** Needed when no SMTP server is configured: messages go to `vigil.mail_outbox`. */
  database?: Db;
  logger: Pick<Logger, 'info' | 'warn'>;
  /**
   * Extra TLS options for the SMTP connection. Never read from configuration: the tests pass the
   * CA of the throw-away server they start here, so the certificate is still verified.
   */
  tls?: Pick<ConnectionOptions, 'ca'>;
}

/** Refuses, before any connection, what could not be sent safely. */
function validate(message: MailMessage): void {
  if (!isMailAddress(message.to)) {
    throw mailError('MAIL_INVALID_MESSAGE', 'the recipient must be one email address (local@domain), without line breaks');
  }
  if (HEADER_UNSAFE.test(message.subject) || message.subject.length > SUBJECT_MAX || message.subject.trim() === '') {
    throw mailError('MAIL_INVALID_MESSAGE', `the subject must be 1–${SUBJECT_MAX} characters on one line`);
  }
  if (!PURPOSE.test(message.purpose)) throw mailError('MAIL_INVALID_MESSAGE', 'the purpose must be a lower-case identifier');
  if (message.orgId !== undefined && !UUID.test(message.orgId)) throw mailError('MAIL_INVALID_MESSAGE', 'orgId must be a UUID');
  if (message.text.trim() === '') throw mailError('MAIL_INVALID_MESSAGE', 'a mail needs a plain-text body');
}

type SmtpConfig = NonNullable<Config['mail']['smtp']>;

function smtpTransport(smtp: SmtpConfig, tls: MailerDeps['tls']) {
  const url = new URL(smtp.url);
  const secure = url.protocol === 'smtps:';
  return nodemailer.createTransport({
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    // smtp:// must upgrade with STARTTLS, or the password and every reset link cross the network
    // in clear (and a man in the middle could strip the STARTTLS offer): the send fails instead.
    requireTLS: !secure && !smtp.allowPlaintext,
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
    // Nodemailer's own logging would print the SMTP dialogue, credentials included.
    logger: false,
    debug: false,
    ...(tls ? { tls } : {}),
  });
}

/**
 * A failure described without the credentials: nodemailer's messages may quote the server's
 * reply or the command sent (AUTH PLAIN carries the password, base64-encoded), so only its error
 * code and the SMTP response code are kept.
 */
function deliveryFailure(smtp: SmtpConfig, err: unknown) {
  const url = new URL(smtp.url);
  const e = err as { code?: unknown; responseCode?: unknown };
  const code = typeof e.code === 'string' && /^[A-Z_]{1,30}$/.test(e.code) ? e.code : 'unknown error';
  const reply = typeof e.responseCode === 'number' ? `, SMTP ${e.responseCode}` : '';
  return mailError('MAIL_DELIVERY_FAILED', `sending through ${url.hostname}:${url.port || '(default port)'} failed (${code}${reply})`, {
    smtpCode: code,
  });
}

export function createMailer(config: Pick<Config, 'mail' | 'log'>, deps: MailerDeps): Mailer {
  const smtp = config.mail.smtp;
  if (smtp) {
    const transport = smtpTransport(smtp, deps.tls);
    return {
      async send(message) {
        validate(message);
        try {
          const info = await transport.sendMail({
            from: smtp.from,
            to: message.to,
            subject: message.subject,
            text: message.text,
            ...(message.html !== undefined ? { html: message.html } : {}),
            // Our own checks come first; this keeps nodemailer from ever reading a file or URL
            // named in a message (attachments, `path:` bodies).
            disableFileAccess: true,
            disableUrlAccess: true,
          });
          return { delivered: 'smtp', id: String(info.messageId) };
        } catch (err) {
          const failure = deliveryFailure(smtp, err);
          deps.logger.warn({ mail: { to: message.to, purpose: message.purpose }, err: failure.detail }, 'mail delivery failed');
          throw failure;
        }
      },
      close: () => transport.close(),
    };
  }

  const database = deps.database;
  if (!database) throw new TypeError('createMailer: without SMTP_URL, a database is needed for the outbox');
  return {
    async send(message) {
      validate(message);
      // The system scope: mail is sent from flows with no tenant context yet (a password reset)
      // as well as from within one; the mailer is infrastructure and records for the org it is
      // told, the tenant read policy then shows the row to that organization only.
      const [row] = await withSystem(database, (tx) =>
        tx
          .insert(mailOutbox)
          .values({
            orgId: message.orgId ?? null,
            toAddress: message.to,
            subject: message.subject,
            textBody: message.text,
            htmlBody: message.html ?? null,
            purpose: message.purpose,
          })
          .returning({ id: mailOutbox.id }),
      );
      if (!row) throw new Error('INSERT … RETURNING produced no row');
      const mail = { id: row.id, to: message.to, subject: message.subject, purpose: message.purpose };
      // The body goes to the log only in pretty mode, i.e. a developer's terminal: that is where
      // "click the invitation link" has to work without a mail server. JSON logs are shipped to
      // aggregators and kept, and a reset or invitation link in them would be a credential
      // readable by everyone with log access, so there the line only points to the outbox table.
      // (The HTML body is never logged: it repeats the text.)
      if (config.log.pretty) {
        deps.logger.info({ mail, text: message.text }, 'mail not sent (no SMTP_URL): stored in the outbox');
      } else {
        deps.logger.info({ mail }, 'mail not sent (no SMTP_URL): stored in the outbox, body not logged');
      }
      return { delivered: 'outbox', id: row.id };
    },
    close: () => {},
  };
}
