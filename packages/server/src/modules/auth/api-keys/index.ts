import type { Db } from '../../../db/database.ts';
import { createApiKeyAuthenticator } from './api-keys.authenticate.ts';
import { apiKeysRoutes } from './api-keys.routes.ts';
import { createApiKeysService } from './api-keys.service.ts';

export function createApiKeysModule(deps: { db: Db }) {
  const service = createApiKeysService(deps);
  return { service, routes: apiKeysRoutes(service), authenticate: createApiKeyAuthenticator(deps.db) };
}

export { looksLikeVigilToken } from './api-key-token.ts';
export { authenticateToken, createApiKeyAuthenticator } from './api-keys.authenticate.ts';
export { apiKeysRepo } from './api-keys.repo.ts';
export { issueAgentTokenIn, type RequestMeta, revokeAgentTokensIn, revokeKeysCreatedBy } from './api-keys.service.ts';
