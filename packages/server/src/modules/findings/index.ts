import type { Db } from '../../db/database.ts';
import { findingsRoutes } from './findings.routes.ts';
import { createFindingsService } from './findings.service.ts';

export function createFindingsModule(deps: { db: Db; now?: () => Date }) {
  const service = createFindingsService(deps);
  return { service, routes: findingsRoutes(service) };
}
