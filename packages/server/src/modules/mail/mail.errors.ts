import { type ErrorCatalog, errorFactory } from '../../lib/app-error.ts';

export const MAIL_MODULE_ERRORS = {
  OUTBOX_CURSOR_INVALID: { status: 400, title: 'The cursor is not one this list returned' },
} as const satisfies ErrorCatalog;

export const mailModuleError = errorFactory(MAIL_MODULE_ERRORS);
