import { errorFactory } from '../../lib/app-error.ts';

export const AGENT_ERRORS = {
  /**
   * Unknown, wrong secret, used, expired and revoked all answer this one problem: the answer
   * must not tell someone holding a guessed or stolen token which of these it is.
   */
  ENROLLMENT_TOKEN_INVALID: { status: 401, title: 'The enrollment token is not valid' },
  ENROLLMENT_TOKEN_NOT_FOUND: { status: 404, title: 'Enrollment token not found' },
  ENROLLMENT_TARGET_INVALID: { status: 400, title: 'Name a client or a server asset, not both' },
  ENROLLMENT_CLIENT_NOT_FOUND: { status: 404, title: 'Client not found' },
  ENROLLMENT_ASSET_NOT_FOUND: { status: 404, title: 'Asset not found' },
  ENROLLMENT_SERVER_ONLY: { status: 400, title: 'Agents enroll servers only' },
  AGENT_ASSET_GONE: { status: 401, title: 'The server this agent reported for no longer exists' },
} as const;

export const agentError = errorFactory(AGENT_ERRORS);
