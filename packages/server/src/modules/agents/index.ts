import type { ActionKey } from '@vigil/protocol';
import type { Db } from '../../db/database.ts';
import type { RateLimiter } from '../../http/rate-limit/index.ts';
import { agentsRoutes } from './agents.routes.ts';
import { type CheckInProviders, createCheckInService } from './check-in.service.ts';
import { createEnrollmentService } from './enrollment.service.ts';

export interface AgentsModuleDeps extends CheckInProviders {
  db: Db;
  limiter: RateLimiter;
  actionKeys: () => ActionKey[];
}

/** Enrollment tokens, enrollment, check-in and agent-token revocation (the inventory is modules/inventory). */
export function createAgentsModule(deps: AgentsModuleDeps) {
  const enrollment = createEnrollmentService(deps);
  const checkIn = createCheckInService(deps);
  return { enrollment, checkIn, routes: agentsRoutes({ enrollment, checkIn, limiter: deps.limiter }) };
}

export { agentOfflineJob, sweepOfflineAgents } from './agents.jobs.ts';
export { agentOf } from './agents.routes.ts';
export type { AgentIdentity, CheckInProviders } from './check-in.service.ts';
