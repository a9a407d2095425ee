import { errorFactory } from '../../lib/app-error.ts';

export const FINDING_ERRORS = {
  FINDING_NOT_FOUND: { status: 404, title: 'Finding not found' },
  FINDING_CURSOR_INVALID: { status: 400, title: 'The cursor is not one this list returned' },
  FINDING_EXPIRY_INVALID: { status: 400, title: 'The risk acceptance expiry is not allowed' },
} as const;

export const findingError = errorFactory(FINDING_ERRORS);
