import type { Db } from '../../../db/database.ts';
import { createApiKeyAuthenticator } from './api-keys.authenticate.ts';
import { apiKeysRoutes } from './api-keys.routes.ts';
import { createApiKeysService } from './api-keys.service.ts';

export function createApiKeysModule(deps: { db: Db }) {
  const service = createApiKeysService(deps);
  return { service, routes: apiKeysRoutes(service), authenticate: createApiKeyAuthenticator(deps.db) };
}

export { looksLikeVigilToken } from './api-key-token.ts';
export { authenticateToken } from './api-keys.authenticate.ts';
export { type RequestMeta, revokeKeysCreatedBy } from './api-keys.service.ts';
