import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Db } from '../../db/database.ts';
import { assetInventoryRoutes } from './assets.inventory.routes.ts';
import { createAssetInventoryService } from './assets.inventory.service.ts';
import { assetsRoutes } from './assets.routes.ts';
import { createAssetsService } from './assets.service.ts';

export function createAssetsModule(deps: { db: Db }) {
  const service = createAssetsService(deps);
  const inventory = createAssetInventoryService(deps);
  const routes: FastifyPluginAsyncZod = async (app) => {
    await app.register(assetsRoutes(service));
    await app.register(assetInventoryRoutes(inventory));
  };
  return { service, inventory, routes };
}
