import type { Config } from '../config/config.ts';
import type { Database } from '../db/database.ts';
import type { KeyringSource } from '../lib/keys/index.ts';
import type { Logger } from '../logger.ts';
import { actionsExpiryJob } from '../modules/actions/actions.jobs.ts';
import { agentOfflineJob } from '../modules/agents/agents.jobs.ts';
import { authMaintenanceJob } from '../modules/auth/auth.jobs.ts';
import { feedSyncJob } from '../modules/intel/intel.jobs.ts';
import { inventoryRematchJob } from '../modules/inventory/inventory.jobs.ts';
import type { JobDefinition } from './job.definition.ts';

export interface JobDeps {
  config: Config;
  database: Database;
  logger: Logger;
  keys: KeyringSource;
}

/**
 * Every job the product defines (each in its module's `<module>.jobs.ts`), built with what its
 * handler needs; `serve` and `worker` register exactly these.
 */
export function jobDefinitions(deps: JobDeps): readonly JobDefinition[] {
  return [
    feedSyncJob(deps),
    authMaintenanceJob(deps),
    agentOfflineJob(deps),
    inventoryRematchJob(deps),
    actionsExpiryJob(deps),
  ] as JobDefinition[];
}
