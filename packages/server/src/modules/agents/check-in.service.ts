import {
  type CheckInRequest,
  type CheckInResponse,
  checkInRequestSchema,
  type ReleasePlatform,
  type SignedActionKeySet,
} from '@vigil/protocol';
import type { Db } from '../../db/database.ts';
import { type TenantContext, withTenant } from '../../db/tenant.ts';
import { fail } from '../../lib/app-error.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { type RequestMeta, revokeAgentTokensIn } from '../auth/api-keys/index.ts';
import { access } from '../tenancy/access.ts';
import { agentError } from './agents.errors.ts';
import { agentAssetsRepo } from './enrollment.repo.ts';

/** An inventory older than this is asked for again even when its digest still matches. */
export const INVENTORY_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** What other modules tell a checking-in agent; each defaults to "nothing" until its module is wired. */
export interface CheckInProviders {
  /** The action keys signed for this server at this time (modules/actions signActionKeySet). */
  actionKeySet: (assetId: string, issuedAt: Date) => SignedActionKeySet;
  /** Approved actions waiting for the server (modules/actions). */
  actionsPending?: (ctx: TenantContext, assetId: string) => Promise<number>;
  /** The release offered to this agent when newer than it runs (modules/releases). */
  update?: (ctx: TenantContext, assetId: string, agentVersion: string, platform: ReleasePlatform) => Promise<{ version: string } | null>;
}

/** The agent acting: its tenant (the server's scope) and the one server its token names. */
export interface AgentIdentity {
  tenant: TenantContext;
  assetId: string;
}

export interface CheckInServiceDeps extends CheckInProviders {
  db: Db;
  now?: () => Date;
}

export type CheckInService = ReturnType<typeof createCheckInService>;

export function createCheckInService({ db, actionKeySet, actionsPending, update, now = () => new Date() }: CheckInServiceDeps) {
  return {
    /**
     * A check-in. The server is the token's own (`agent.assetId`, never an id from the body), so
     * one server's token cannot move another server's state.
     */
    async checkIn(agent: AgentIdentity, raw: CheckInRequest): Promise<CheckInResponse> {
      const parsed = checkInRequestSchema.safeParse(raw);
      if (!parsed.success) throw fail('VALIDATION_FAILED', parsed.error.issues[0]?.message);
      const input = parsed.data;
      const at = now();
      const asset = await withTenant(db, agent.tenant, async (tx) => {
        const row = await agentAssetsRepo.checkIn(tx, agent.tenant, agent.assetId, input);
        if (!row) throw agentError('AGENT_ASSET_GONE');
        if (row.was === 'offline') {
          await recordAudit(tx, agent.tenant, {
            action: 'asset.agent_online',
            actorKind: 'agent',
            targetType: 'asset',
            targetId: row.id,
            clientId: row.client_id,
          });
        }
        return row;
      });
      const stale = asset.last_inventory_at === null || at.getTime() - new Date(asset.last_inventory_at).getTime() > INVENTORY_MAX_AGE_MS;
      return {
        serverTime: at.toISOString(),
        nextCheckInSeconds: asset.check_in_seconds,
        inventoryWanted: asset.inventory_digest !== input.inventoryDigest || stale,
        actionsPending: actionsPending ? await actionsPending(agent.tenant, asset.id) : 0,
        actionKeySet: actionKeySet(asset.id, at),
        update: update ? await update(agent.tenant, asset.id, input.agentVersion, input.platform ?? 'node') : null,
      };
    },

    /** Revokes a server's agent token (dashboard); the agent's next request gets 401. */
    async revokeAgentToken(ctx: TenantContext, assetId: string, meta: RequestMeta = {}): Promise<void> {
      access.require(ctx, 'asset:update');
      await withTenant(db, ctx, async (tx) => {
        const asset = await agentAssetsRepo.findForUpdate(tx, ctx, assetId);
        if (asset?.kind !== 'server') throw agentError('ENROLLMENT_ASSET_NOT_FOUND');
        await revokeAgentTokensIn(tx, ctx, asset.id, meta);
      });
    },
  };
}
