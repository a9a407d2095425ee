import { type ErrorCatalog, errorFactory } from '../../../lib/app-error.ts';

/**
 * Invitations, password resets and password changes. The link errors name no reason (used,
 * expired, revoked, never existed all read the same), so a link tells its holder nothing more.
 */
export const MEMBERSHIP_ERRORS = {
  INVITATION_INVALID: { status: 400, title: 'The invitation is not valid, was already used or has expired' },
  INVITATION_NOT_FOUND: { status: 404, title: 'Invitation not found' },
  INVITATION_PENDING: { status: 409, title: 'An invitation for this email is already pending; revoke it to send a new one' },
  INVITATION_EMAIL_INVALID: { status: 400, title: 'The email address cannot receive mail' },
  INVITATION_LOGIN_REQUIRED: {
    status: 409,
    title: 'This email already has an account: sign in with it and accept the invitation while signed in',
  },
  INVITATION_EMAIL_MISMATCH: { status: 403, title: 'The invitation is for another email address' },
  INVITATION_PASSWORD_REQUIRED: { status: 400, title: 'Choose a password to create your account' },
  INVITATION_PASSWORD_UNEXPECTED: { status: 400, title: 'You are signed in: accept without a password' },
  ALREADY_MEMBER: { status: 409, title: 'This person is already a member of the organization' },
  RESET_LINK_INVALID: { status: 400, title: 'The reset link is not valid, was already used or has expired' },
} as const satisfies ErrorCatalog;

export type MembershipErrorCode = keyof typeof MEMBERSHIP_ERRORS;
export const membershipError = errorFactory(MEMBERSHIP_ERRORS);
