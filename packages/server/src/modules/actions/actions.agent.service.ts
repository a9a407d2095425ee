import { type ActionList, type ActionResult, PROTOCOL_LIMITS, type SignedAction } from '@vigil/protocol';
import type { Db, Tx } from '../../db/database.ts';
import { type TenantContext, withTenant } from '../../db/tenant.ts';
import type { Actor } from '../../http/auth.ts';
import { fail } from '../../lib/app-error.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { actionError } from './actions.errors.ts';
import { auditFacts } from './actions.presenters.ts';
import { actionsRepo as repo } from './actions.repo.ts';
import type { ActionRow, StoredActionResult } from './actions.table.ts';

/** What an agent knows itself by: its organization scope and the one server it is. */
function agentOf(actor: Actor): { ctx: TenantContext; assetId: string } {
  // The routes are agent-only (registerAuth); this guards a wiring mistake, not a request.
  if (actor.kind !== 'agent' || !actor.assetId) throw fail('FORBIDDEN', 'this is for agents');
  return { ctx: actor.tenant, assetId: actor.assetId };
}

function envelopeOf(row: ActionRow): SignedAction {
  if (!row.envelope) throw new Error('a deliverable action without its signature');
  return { payload: row.envelope.payload, kid: row.envelope.kid, signature: row.envelope.signature };
}

/** The longest refusal reason kept in the audit entry (the full one is in the result). */
const AUDIT_REFUSAL_CHARS = 200;

/**
 * The agent's side: pull the signed actions of its own server, report one result per action.
 * Only approved (signed) actions ever leave here: pending, denied, cancelled and expired rows are
 * invisible to the agent, which gets "not found" for them like for another server's action.
 */
export function createAgentActionsService(deps: { db: Db; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  return {
    /**
     * The approved, unexpired actions for the calling agent's server. The first hand-over marks
     * an action delivered (audited); it stays re-deliverable until a result arrives or its run
     * deadline passes, so a lost answer or an agent restart does not lose it.
     */
    async pull(actor: Actor): Promise<ActionList> {
      const { ctx, assetId } = agentOf(actor);
      return withTenant(deps.db, ctx, async (tx) => {
        const at = now();
        const rows = await repo.deliverable(tx, ctx, assetId, at, PROTOCOL_LIMITS.actionsPerList);
        for (const row of rows) {
          if (row.deliveredAt !== null) continue;
          const updated = await repo.update(tx, ctx, row.id, { status: 'delivered', deliveredAt: at });
          await recordAudit(tx, ctx, {
            action: 'action.delivered',
            actorKind: 'agent',
            actorUserId: null,
            targetType: 'action',
            targetId: row.id,
            clientId: row.clientId,
            details: auditFacts(updated),
          });
        }
        return { actions: rows.map(envelopeOf) };
      });
    },

    /** Stores the one result of an action of this server; a second one is a conflict. */
    async report(actor: Actor, actionId: string, result: ActionResult): Promise<void> {
      const { ctx, assetId } = agentOf(actor);
      if (result.outcome === 'refused' && !result.refusal) throw fail('VALIDATION_FAILED', 'a refusal names its reason');
      await withTenant(deps.db, ctx, async (tx) => {
        const row = await repo.lock(tx, ctx, actionId);
        // Another server's action, and one never signed, answer alike: the agent learns nothing.
        if (!row || row.assetId !== assetId || row.status === 'pending_approval' || row.envelope === null) {
          throw actionError('ACTION_NOT_FOUND');
        }
        if (row.result !== null) throw actionError('ACTION_RESULT_EXISTS');
        if (row.status !== 'approved' && row.status !== 'delivered') throw actionError('ACTION_NOT_FOUND', `the action is ${row.status}`);
        // The nonce ties the result to this signed action: a result for another cannot be pasted here.
        if (result.nonce !== row.nonce) throw actionError('ACTION_NONCE_MISMATCH');
        const stored: StoredActionResult = {
          outcome: result.outcome,
          exitCode: result.exitCode,
          stdout: result.stdout,
          stderr: result.stderr,
          truncated: result.truncated,
          startedAt: result.startedAt,
          finishedAt: result.finishedAt,
          refusal: result.outcome === 'refused' ? (result.refusal ?? null) : null,
        };
        const updated = await repo.update(tx, ctx, row.id, {
          status: result.outcome,
          result: stored,
          finishedAt: now(),
          deliveredAt: row.deliveredAt ?? now(),
        });
        await recordAudit(tx, ctx, {
          action: `action.${result.outcome}`,
          actorKind: 'agent',
          actorUserId: null,
          targetType: 'action',
          targetId: row.id,
          clientId: row.clientId,
          details: {
            ...auditFacts(updated),
            exitCode: result.exitCode,
            truncated: result.truncated,
            ...(stored.refusal ? { refusal: stored.refusal.slice(0, AUDIT_REFUSAL_CHARS) } : {}),
          },
        });
      });
    },
  };
}

export type AgentActionsService = ReturnType<typeof createAgentActionsService>;

/** How many signed actions wait for this server: the check-in's `actionsPending`. */
export function pendingActionCount(db: Db, ctx: TenantContext, assetId: string, now = new Date()): Promise<number> {
  return withTenant(db, ctx, (tx) => repo.countDeliverable(tx, ctx, assetId, now));
}

/** The same count inside a transaction the caller already holds in the tenant's scope. */
export function pendingActionCountIn(tx: Tx, ctx: TenantContext, assetId: string, now = new Date()): Promise<number> {
  return repo.countDeliverable(tx, ctx, assetId, now);
}
