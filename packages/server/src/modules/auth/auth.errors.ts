import { errorFactory } from '../../lib/app-error.ts';

/**
 * One message for every way a login can fail before the second factor, so the answer never says
 * whether the account exists, the password was wrong or the member was removed.
 */
export const AUTH_ERRORS = {
  LOGIN_FAILED: { status: 401, title: 'The email or password is not correct' },
  ACCOUNT_LOCKED: { status: 429, title: 'Too many failed logins; try again later' },
  MFA_FAILED: { status: 401, title: 'The code is not correct or the challenge has ended' },
  MFA_REQUIRED: { status: 403, title: 'Set up a second factor first: your organization requires one' },
  REFRESH_INVALID: { status: 401, title: 'The session has ended; log in again' },
  SESSION_NOT_FOUND: { status: 404, title: 'Session not found' },
  CSRF_REJECTED: { status: 403, title: 'The request did not come from this site' },
  SETUP_LINK_INVALID: { status: 400, title: 'The link is not valid or has expired' },
  WEAK_PASSWORD: { status: 400, title: 'The password does not meet the policy' },
  PASSWORD_INCORRECT: { status: 401, title: 'The current password is not correct' },
  USER_ACTOR_REQUIRED: { status: 403, title: 'Only a signed-in person can do this' },
} as const;

export const authError = errorFactory(AUTH_ERRORS);
