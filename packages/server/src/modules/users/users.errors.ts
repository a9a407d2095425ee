import { errorFactory } from '../../lib/app-error.ts';

/**
 * Erasure's own refusals. It also answers with the codes the same refusals have elsewhere, so a
 * client branches on one code per meaning: tenancy's LAST_OWNER and MEMBER_NOT_FOUND, auth's
 * PASSWORD_INCORRECT and USER_ACTOR_REQUIRED.
 */
export const USERS_ERRORS = {
  REAUTHENTICATION_REQUIRED: {
    status: 401,
    title: 'Confirm with your password (or, without one, log in again within the last 5 minutes)',
  },
  ERASE_SELF_WITH_USERS_ME: { status: 409, title: 'Erase your own account with DELETE /api/v1/users/me' },
  ORG_WIDE_ROLE_REQUIRED: { status: 403, title: 'Only an organization owner or admin may erase a member' },
} as const;

export const usersError = errorFactory(USERS_ERRORS);
