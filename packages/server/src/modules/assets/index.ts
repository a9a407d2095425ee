import type { Db } from '../../db/database.ts';
import { assetsRoutes } from './assets.routes.ts';
import { createAssetsService } from './assets.service.ts';

export function createAssetsModule(deps: { db: Db }) {
  const service = createAssetsService(deps);
  return { service, routes: assetsRoutes(service) };
}
