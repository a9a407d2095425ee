import path from 'node:path';
import type { Config } from '../../config/config.ts';
import type { Logger } from '../../logger.ts';
import { releaseAgentRoutes, releaseDownloadRoutes } from './releases.routes.ts';
import { createReleasesService } from './releases.service.ts';
import { createReleaseStore } from './releases.store.ts';

export type { ReleasesService } from './releases.service.ts';

/**
 * Agent releases: `routes` (the agent's manifest route, under /api/v1), `publicRoutes` (downloads
 * and /install.sh, at the root) and `service.offeredRelease` for the check-in answer.
 */
export function createReleasesModule(deps: { config: Pick<Config, 'publicUrl' | 'releases'>; logger: Pick<Logger, 'warn'> }) {
  const warn = (message: string) => deps.logger.warn(message);
  const store = createReleaseStore({ dir: path.resolve(deps.config.releases.dir), warn });
  const service = createReleasesService({ store, warn });
  return { service, routes: releaseAgentRoutes(service), publicRoutes: releaseDownloadRoutes(service, deps.config.publicUrl) };
}
