import { errorFactory } from '../../../lib/app-error.ts';

/**
 * Details never say why a code failed (wrong, replayed, malformed, or a secret that would not
 * decrypt): each answer is the same MFA_CODE_INVALID, so a guesser learns nothing but "no".
 */
export const MFA_ERRORS = {
  MFA_CODE_INVALID: { status: 400, title: 'The code is not valid' },
  MFA_ALREADY_ENABLED: { status: 409, title: 'An authenticator app is already set up; turn it off first' },
  MFA_ENROLMENT_NOT_STARTED: { status: 409, title: 'No authenticator set-up is in progress; start again' },
  MFA_NOT_ENABLED: { status: 409, title: 'No authenticator app is set up' },
  MFA_USERS_ONLY: { status: 403, title: 'Only a signed-in user can manage their second factor' },
} as const;

export type MfaErrorCode = keyof typeof MFA_ERRORS;

export const mfaError = errorFactory(MFA_ERRORS);
