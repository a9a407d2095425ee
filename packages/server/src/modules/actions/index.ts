import type { Config } from '../../config/config.ts';
import type { Db } from '../../db/database.ts';
import type { KeyringSource } from '../../lib/keys/index.ts';
import { agentActionsRoutes } from './actions.agent.routes.ts';
import { createAgentActionsService } from './actions.agent.service.ts';
import { actionsRoutes } from './actions.routes.ts';
import { createActionsService } from './actions.service.ts';
import { actionKeys, signActionKeySet } from './actions.signing.ts';

export { pendingActionCount, pendingActionCountIn } from './actions.agent.service.ts';
export { actionsExpiryJob, expireActions } from './actions.jobs.ts';
export { actionKeys, signActionKeySet } from './actions.signing.ts';

export function createActionsModule(deps: { db: Db; config: Pick<Config, 'actions'>; keys: KeyringSource; now?: () => Date }) {
  const service = createActionsService(deps);
  const agent = createAgentActionsService(deps);
  return {
    service,
    agent,
    routes: actionsRoutes(service),
    agentRoutes: agentActionsRoutes(agent),
    /** The public action keys (active first) for the enroll and check-in answers. */
    actionKeys: () => actionKeys(deps.keys.current()),
    /** The same keys, signed by each of them, for the check-in answer (see signActionKeySet). */
    actionKeySet: (assetId: string, issuedAt: Date) => signActionKeySet(deps.keys.current(), assetId, issuedAt),
  };
}
