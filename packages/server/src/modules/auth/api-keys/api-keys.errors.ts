import { errorFactory } from '../../../lib/app-error.ts';

export const API_KEY_ERRORS = {
  API_KEY_NOT_FOUND: { status: 404, title: 'API key not found' },
  API_KEY_CLIENT_NOT_FOUND: { status: 404, title: 'Client not found' },
  API_KEY_CLIENT_ROLE_MISMATCH: { status: 400, title: 'Client roles are bound to exactly one client, other roles to none' },
  API_KEY_INVALID_EXPIRY: { status: 400, title: 'The expiry must be in the future and at most two years away' },
  API_KEY_NEEDS_MEMBER: { status: 403, title: 'API keys are created by members, not by other keys' },
  AGENT_TOKEN_ASSET_NOT_FOUND: { status: 404, title: 'Asset not found' },
  AGENT_TOKEN_SERVER_ONLY: { status: 400, title: 'Agent tokens are issued for servers only' },
} as const;

export const apiKeyError = errorFactory(API_KEY_ERRORS);
