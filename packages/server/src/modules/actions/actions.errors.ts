import { errorFactory } from '../../lib/app-error.ts';

export const ACTION_ERRORS = {
  ACTION_NOT_FOUND: { status: 404, title: 'Action not found' },
  ACTION_ASSET_NOT_FOUND: { status: 404, title: 'Asset not found' },
  ACTION_ASSET_NOT_SERVER: { status: 400, title: 'Actions run only on servers' },
  ACTION_SELF_APPROVAL: { status: 403, title: 'An action needs a second person to approve it' },
  ACTION_REQUESTER_UNKNOWN: {
    status: 403,
    title: 'An action that needs approval must be asked for by a person, or by an API key whose creator is known',
  },
  ACTION_APPROVER_NOT_PERSON: { status: 403, title: 'Only a signed-in person can approve an action' },
  ACTION_NOT_CANCELLABLE_BY_YOU: { status: 403, title: 'Only the person who asked for an action, or an admin, can cancel it' },
  ACTION_NOT_PENDING: { status: 409, title: 'The action is not waiting for approval' },
  ACTION_APPROVAL_EXPIRED: { status: 409, title: 'The action was not approved in time' },
  ACTION_ALREADY_DELIVERED: { status: 409, title: 'The action has reached its server and can no longer be cancelled' },
  ACTION_RESULT_EXISTS: { status: 409, title: 'The action already has a result' },
  ACTION_NONCE_MISMATCH: { status: 409, title: 'The result does not name the nonce of this action' },
} as const;

export const actionError = errorFactory(ACTION_ERRORS);
