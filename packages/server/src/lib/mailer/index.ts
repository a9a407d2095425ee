export { isMailAddress } from './address.ts';
export { MAIL_ERRORS, type MailErrorCode, mailError } from './mail.errors.ts';
export {
  createMailer,
  type Mailer,
  type MailerDeps,
  type MailMessage,
  type SendResult,
  SMTP_TIMEOUT_MS,
} from './mailer.ts';
