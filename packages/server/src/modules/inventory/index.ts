import type { Db } from '../../db/database.ts';
import type { Logger } from '../../logger.ts';
import { createIngestService, type IngestServiceDeps } from './ingest.service.ts';
import { inventoryRoutes } from './inventory.routes.ts';

/** The agent's inventory: diff, history, matching, findings (and the feed re-match job). */
export function createInventoryModule(deps: { db: Db; logger: Logger; onIngested?: IngestServiceDeps['onIngested'] }) {
  const service = createIngestService(deps);
  return { service, routes: inventoryRoutes(service) };
}

export { CONFIG_CHECKS, configCheck } from './config-checks.ts';
export { refreshEnrichment } from './enrichment-refresh.service.ts';
export { applyPendingImports, inventoryRematchJob } from './inventory.jobs.ts';
export { rematchAfterImport } from './rematch.service.ts';
