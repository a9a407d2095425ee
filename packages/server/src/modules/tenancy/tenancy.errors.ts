import { errorFactory } from '../../lib/app-error.ts';

export const TENANCY_ERRORS = {
  ORGANIZATION_NOT_FOUND: { status: 404, title: 'Organization not found' },
  CLIENT_NOT_FOUND: { status: 404, title: 'Client not found' },
  CLIENT_NAME_TAKEN: { status: 409, title: 'A client with this name already exists' },
  CLIENT_IN_USE: { status: 409, title: 'The client still has assets' },
  MEMBER_NOT_FOUND: { status: 404, title: 'Member not found' },
  MEMBER_EXISTS: { status: 409, title: 'This user is already a member' },
  LAST_OWNER: { status: 409, title: 'The organization must keep at least one owner' },
  CLIENT_ROLE_NEEDS_CLIENT: { status: 400, title: 'Client roles are bound to exactly one client' },
  ALREADY_BOOTSTRAPPED: { status: 409, title: 'Vigil already has an organization' },
  INVALID_BOOTSTRAP: { status: 400, title: 'Invalid bootstrap input' },
} as const;

export const tenancyError = errorFactory(TENANCY_ERRORS);
