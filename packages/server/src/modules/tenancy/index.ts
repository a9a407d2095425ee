import type { Db } from '../../db/database.ts';
import { tenancyRoutes } from './tenancy.routes.ts';
import { createTenancyService } from './tenancy.service.ts';

export function createTenancyModule(deps: { db: Db }) {
  const service = createTenancyService(deps);
  return { service, routes: tenancyRoutes(service, deps.db) };
}

export { bootstrapFirstOrganization, instanceHasOrganization } from './bootstrap.service.ts';
