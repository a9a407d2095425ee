import { randomUUID } from 'node:crypto';
import type { Config } from '../../config/config.ts';
import type { Db, Tx } from '../../db/database.ts';
import { type TenantContext, withTenant } from '../../db/tenant.ts';
import type { KeyringSource } from '../../lib/keys/index.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { access } from '../tenancy/access.ts';
import { can } from '../tenancy/permissions.ts';
import { actionError } from './actions.errors.ts';
import { auditFacts, presentAction } from './actions.presenters.ts';
import { actionsRepo as repo } from './actions.repo.ts';
import type { ActionView, CreateActionInput } from './actions.schemas.ts';
import { newNonce, signAction } from './actions.signing.ts';
import type { ActionRow } from './actions.table.ts';

export interface ActionsServiceDeps {
  db: Db;
  config: Pick<Config, 'actions'>;
  keys: KeyringSource;
  now?: () => Date;
}

/** Who made the request, for the audit entry (the address is sealed under the person's data key). */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
  /** The API key the request came with, when it did (its creator is the person asking). */
  apiKeyId?: string | null;
}

const NO_META: RequestMeta = { ip: null, userAgent: null };

/**
 * The dashboard's side of approved actions. Who may do what:
 * - asking for an action, approving and denying one need `action:approve` (OWNER, ADMIN,
 *   ENGINEER: the permission matrix's "engineers approve remediation actions");
 * - the approver must be a signed-in person other than the one who asked (four eyes): the
 *   rule that stops one stolen account from running commands as root, whatever its rank;
 * - cancelling (before the agent has it) is for the person who asked, or an OWNER or ADMIN.
 * Each step is one transaction that locks the row and writes its audit entry.
 */
export function createActionsService(deps: ActionsServiceDeps) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  async function audit(tx: Tx, ctx: TenantContext, row: ActionRow, action: string, meta: RequestMeta, details = {}) {
    await recordAudit(tx, ctx, {
      action,
      targetType: 'action',
      targetId: row.id,
      clientId: row.clientId,
      ip: meta.ip,
      userAgent: meta.userAgent,
      details: { ...auditFacts(row), ...details },
    });
  }

  /** Signs the row and moves it to approved; the run deadline starts now. */
  function approvedValues(row: Pick<ActionRow, 'id' | 'assetId' | 'command' | 'nonce' | 'timeoutSeconds'>, by: string | null) {
    const at = now();
    const expiresAt = new Date(at.getTime() + deps.config.actions.runTtlMinutes * 60_000);
    const envelope = signAction(deps.keys.current(), row, at, expiresAt);
    return { status: 'approved' as const, approvedBy: by, approvedAt: at, expiresAt, envelope };
  }

  async function lockedOrMissing(tx: Tx, ctx: TenantContext, actionId: string): Promise<ActionRow> {
    const row = await repo.lock(tx, ctx, actionId);
    if (!row) throw actionError('ACTION_NOT_FOUND');
    return row;
  }

  return {
    async create(ctx: TenantContext, assetId: string, input: CreateActionInput, meta: RequestMeta = NO_META): Promise<ActionView> {
      access.require(ctx, 'action:approve');
      return withTenant(db, ctx, async (tx) => {
        const asset = await repo.findAsset(tx, ctx, assetId);
        if (!asset) throw actionError('ACTION_ASSET_NOT_FOUND');
        if (asset.kind !== 'server') throw actionError('ACTION_ASSET_NOT_SERVER', 'only a server runs an agent');
        const approvalRequired = await repo.requiresApproval(tx, ctx);
        // The person asking: the signed-in member, or the member who created the API key used.
        // Without one, four eyes could not be told apart from two (the same engineer asking with
        // a key and approving in the browser).
        const requester = ctx.userId ?? (meta.apiKeyId ? await repo.apiKeyCreator(tx, ctx, meta.apiKeyId) : null);
        if (approvalRequired && requester === null) throw actionError('ACTION_REQUESTER_UNKNOWN');
        const created = now();
        const base = {
          id: randomUUID(),
          assetId: asset.id,
          command: input.command,
          nonce: newNonce(),
          timeoutSeconds: input.timeoutSeconds,
        };
        const row = await repo.insert(tx, {
          ...base,
          orgId: ctx.orgId,
          clientId: asset.clientId,
          createdBy: requester,
          createdAt: created,
          approvalExpiresAt: new Date(created.getTime() + deps.config.actions.approvalTtlHours * 3_600_000),
          ...(approvalRequired ? { status: 'pending_approval' as const } : approvedValues(base, null)),
        });
        await audit(tx, ctx, row, 'action.created', meta, { approvalRequired, timeoutSeconds: row.timeoutSeconds });
        // Without the requirement the request is its own approval: recorded as such, by nobody else.
        if (!approvalRequired) await audit(tx, ctx, row, 'action.approved', meta, { secondApprover: false });
        return presentAction(row);
      });
    },

    async list(ctx: TenantContext, assetId: string): Promise<ActionView[]> {
      access.require(ctx, 'action:read');
      return withTenant(db, ctx, async (tx) => {
        if (!(await repo.findAsset(tx, ctx, assetId))) throw actionError('ACTION_ASSET_NOT_FOUND');
        return (await repo.listForAsset(tx, ctx, assetId)).map(presentAction);
      });
    },

    async get(ctx: TenantContext, actionId: string): Promise<ActionView> {
      access.require(ctx, 'action:read');
      return withTenant(db, ctx, async (tx) => {
        const row = await repo.find(tx, ctx, actionId);
        if (!row) throw actionError('ACTION_NOT_FOUND');
        return presentAction(row);
      });
    },

    async approve(ctx: TenantContext, actionId: string, meta: RequestMeta = NO_META): Promise<ActionView> {
      access.require(ctx, 'action:approve');
      // An API key is no person: a script holding one must not be the second pair of eyes.
      if (ctx.userId === null) throw actionError('ACTION_APPROVER_NOT_PERSON');
      return withTenant(db, ctx, async (tx) => {
        const row = await lockedOrMissing(tx, ctx, actionId);
        if (row.status !== 'pending_approval') throw actionError('ACTION_NOT_PENDING', `the action is ${row.status}`);
        if (row.approvalExpiresAt.getTime() <= now().getTime()) throw actionError('ACTION_APPROVAL_EXPIRED');
        // Four eyes: the person who asked for a root command cannot also be the one who allows it.
        if (row.createdBy === ctx.userId) throw actionError('ACTION_SELF_APPROVAL', 'ask another member to approve it');
        const updated = await repo.update(tx, ctx, row.id, approvedValues(row, ctx.userId));
        await audit(tx, ctx, updated, 'action.approved', meta, { secondApprover: true });
        return presentAction(updated);
      });
    },

    async deny(ctx: TenantContext, actionId: string, meta: RequestMeta = NO_META): Promise<ActionView> {
      access.require(ctx, 'action:approve');
      return withTenant(db, ctx, async (tx) => {
        const row = await lockedOrMissing(tx, ctx, actionId);
        if (row.status !== 'pending_approval') throw actionError('ACTION_NOT_PENDING', `the action is ${row.status}`);
        const updated = await repo.update(tx, ctx, row.id, { status: 'denied', deniedBy: ctx.userId, deniedAt: now() });
        await audit(tx, ctx, updated, 'action.denied', meta);
        return presentAction(updated);
      });
    },

    async cancel(ctx: TenantContext, actionId: string, meta: RequestMeta = NO_META): Promise<ActionView> {
      access.require(ctx, 'action:read');
      return withTenant(db, ctx, async (tx) => {
        const row = await lockedOrMissing(tx, ctx, actionId);
        const isAdmin = ctx.role === 'OWNER' || ctx.role === 'ADMIN';
        const isCreator = ctx.userId !== null && row.createdBy === ctx.userId;
        // The creator only while their role still allows actions (a demoted member cannot).
        if (!isAdmin && !(isCreator && can(ctx.role, 'action:approve'))) {
          throw actionError('ACTION_NOT_CANCELLABLE_BY_YOU');
        }
        if (row.status !== 'pending_approval' && row.status !== 'approved') {
          throw actionError(row.status === 'delivered' ? 'ACTION_ALREADY_DELIVERED' : 'ACTION_NOT_PENDING', `the action is ${row.status}`);
        }
        // Once handed to the agent the signed action may already be running: cancelling would lie.
        if (row.deliveredAt !== null) throw actionError('ACTION_ALREADY_DELIVERED');
        const updated = await repo.update(tx, ctx, row.id, { status: 'cancelled', deniedBy: ctx.userId, deniedAt: now() });
        await audit(tx, ctx, updated, 'action.cancelled', meta);
        return presentAction(updated);
      });
    },
  };
}

export type ActionsService = ReturnType<typeof createActionsService>;
