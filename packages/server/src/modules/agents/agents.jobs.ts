import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../../db/database.ts';
import { withSystem, withTenant } from '../../db/tenant.ts';
import { defineJob } from '../../jobs/job.definition.ts';
import type { Logger } from '../../logger.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { rows } from './enrollment.repo.ts';

/** Beyond two missed check-ins, this much more before a server is called offline (clock skew, a slow run). */
export const OFFLINE_GRACE_SECONDS = 60;

/**
 * Marks servers whose agent missed two check-ins (plus a grace) offline, each transition audited
 * once; a check-in brings them back online. The system scope sees no assets, so the sweep lists
 * organizations and works in each one's scope.
 */
export async function sweepOfflineAgents(database: Database, now: Date = new Date()): Promise<number> {
  const orgs = await withSystem(database.db, (tx) => rows<{ id: string }>(tx, sql`SELECT id FROM vigil.organizations ORDER BY id`));
  let marked = 0;
  for (const org of orgs) {
    const ctx = { orgId: org.id, userId: null, role: 'OWNER', clientIds: 'all' } as const;
    marked += await withTenant(database.db, ctx, async (tx) => {
      const gone = await rows<{ id: string; client_id: string | null; last_seen_at: Date | string }>(
        tx,
        sql`UPDATE vigil.assets SET agent_state = 'offline'
             WHERE org_id = ${org.id}::uuid AND agent_state IN ('online', 'enrolled')
               AND last_seen_at < ${now.toISOString()}::timestamptz - make_interval(secs => 2 * check_in_seconds + ${OFFLINE_GRACE_SECONDS})
            RETURNING id, client_id, last_seen_at`,
      );
      for (const asset of gone) {
        await recordAudit(tx, ctx, {
          action: 'asset.agent_offline',
          actorKind: 'system',
          targetType: 'asset',
          targetId: asset.id,
          clientId: asset.client_id,
          details: { lastSeenAt: new Date(asset.last_seen_at).toISOString() },
        });
      }
      return gone.length;
    });
  }
  return marked;
}

export function agentOfflineJob(deps: { database: Database; logger: Logger }) {
  return defineJob({
    name: 'agents.offline-sweep',
    payload: z.object({}),
    retry: { limit: 0, delaySeconds: 60, backoff: false },
    expireInSeconds: 300,
    schedule: '* * * * *',
    async handler() {
      const marked = await sweepOfflineAgents(deps.database);
      if (marked > 0) deps.logger.info({ marked }, 'agents marked offline');
    },
  });
}
