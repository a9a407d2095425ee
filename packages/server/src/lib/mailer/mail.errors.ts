import { type ErrorCatalog, errorFactory } from '../app-error.ts';

export const MAIL_ERRORS = {
  // A message the mailer refuses before any connection: a bad address, a line break in a header.
  MAIL_INVALID_MESSAGE: { status: 400, title: 'The message cannot be sent' },
  // The SMTP server could not be reached, refused the login or the message. The detail names the
  // server and the SMTP error code, never the credentials.
  MAIL_DELIVERY_FAILED: { status: 502, title: 'The mail server did not accept the message' },
} as const satisfies ErrorCatalog;

export type MailErrorCode = keyof typeof MAIL_ERRORS;
export const mailError = errorFactory(MAIL_ERRORS);
