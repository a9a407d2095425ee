import { z } from 'zod';
import type { Database } from '../../db/database.ts';
import { type TenantContext, withSystem, withTenant } from '../../db/tenant.ts';
import { defineJob } from '../../jobs/job.definition.ts';
import type { Logger } from '../../logger.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { auditFacts } from './actions.presenters.ts';
import { actionsRepo as repo } from './actions.repo.ts';

/** After the run deadline and the action's own timeout, a result may still be on its way this long. */
const RESULT_GRACE_SECONDS = 5 * 60;

/** The job works as the organization itself: all clients, no person. */
function orgContext(orgId: string): TenantContext {
  return { orgId, userId: null, role: 'OWNER', clientIds: 'all' };
}

/**
 * Closes what ran out of time: an action nobody approved before its approval deadline is
 * auto-denied (`expired`, stage approval), and a signed action whose run deadline passed without
 * a result is `expired` too (stage run), so it is no longer offered to the agent nor counted as
 * pending. The system scope lists organizations only (it sees no actions, by design); each
 * organization is then worked in its own tenant scope.
 */
export async function expireActions(database: Pick<Database, 'db'>, now = new Date()): Promise<{ expired: number }> {
  const organizations = await withSystem(database.db, (tx) => repo.organizationIds(tx));
  let expired = 0;
  for (const { id: orgId } of organizations) {
    const ctx = orgContext(orgId);
    expired += await withTenant(database.db, ctx, async (tx) => {
      const rows = await repo.expirable(tx, ctx, now, RESULT_GRACE_SECONDS);
      for (const row of rows) {
        const stage = row.status === 'pending_approval' ? 'approval' : 'run';
        const updated = await repo.update(tx, ctx, row.id, { status: 'expired' });
        await recordAudit(tx, ctx, {
          action: 'action.expired',
          actorKind: 'system',
          actorUserId: null,
          targetType: 'action',
          targetId: row.id,
          clientId: row.clientId,
          details: { ...auditFacts(updated), stage },
        });
      }
      return rows.length;
    });
  }
  return { expired };
}

/** Every five minutes: approval and run deadlines are hours and minutes, not seconds. */
export function actionsExpiryJob(deps: { database: Database; logger: Logger }) {
  return defineJob({
    name: 'actions.expire',
    payload: z.object({}),
    retry: { limit: 1, delaySeconds: 60, backoff: false },
    expireInSeconds: 15 * 60,
    schedule: '*/5 * * * *',
    async handler() {
      const { expired } = await expireActions(deps.database);
      if (expired > 0) deps.logger.info({ expired }, 'actions past their approval or run deadline expired');
    },
  });
}
