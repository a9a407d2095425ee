import { and, asc, count, desc, eq, gt, inArray, isNotNull, type SQL, sql } from 'drizzle-orm';
import type { Tx } from '../../db/database.ts';
import { apiKeys, assets, organizations } from '../../db/schema.ts';
import type { TenantContext } from '../../db/tenant.ts';
import { type ActionRow, type ActionStatus, agentActions } from './actions.table.ts';

/** Statuses in which a signed action may (still) reach its agent. */
export const DELIVERABLE: readonly ActionStatus[] = ['approved', 'delivered'];
export const FINISHED: readonly ActionStatus[] = ['succeeded', 'failed', 'timed_out', 'refused'];
const LIST_LIMIT = 200;

function scope(ctx: TenantContext): SQL | undefined {
  return ctx.clientIds === 'all' ? undefined : inArray(agentActions.clientId, [...ctx.clientIds]);
}

function mine(ctx: TenantContext, actionId: string): SQL | undefined {
  return and(eq(agentActions.orgId, ctx.orgId), eq(agentActions.id, actionId), scope(ctx));
}

export const actionsRepo = {
  async findAsset(tx: Tx, ctx: TenantContext, assetId: string) {
    const [row] = await tx
      .select({ id: assets.id, kind: assets.kind, clientId: assets.clientId })
      .from(assets)
      .where(
        and(
          eq(assets.orgId, ctx.orgId),
          eq(assets.id, assetId),
          ctx.clientIds === 'all' ? undefined : inArray(assets.clientId, [...ctx.clientIds]),
        ),
      );
    return row ?? null;
  },

  /** The member who created an API key (null when unknown or gone): the person behind its requests. */
  async apiKeyCreator(tx: Tx, ctx: TenantContext, apiKeyId: string): Promise<string | null> {
    const [row] = await tx
      .select({ createdBy: apiKeys.createdBy })
      .from(apiKeys)
      .where(and(eq(apiKeys.orgId, ctx.orgId), eq(apiKeys.id, apiKeyId), eq(apiKeys.kind, 'api')));
    return row?.createdBy ?? null;
  },

  /** The organization's setting; on unless it was switched off (secure by default). */
  async requiresApproval(tx: Tx, ctx: TenantContext): Promise<boolean> {
    const [row] = await tx.select({ settings: organizations.settings }).from(organizations).where(eq(organizations.id, ctx.orgId));
    return row?.settings.requireActionApproval !== false;
  },

  async insert(tx: Tx, values: typeof agentActions.$inferInsert): Promise<ActionRow> {
    const [row] = await tx.insert(agentActions).values(values).returning();
    if (!row) throw new Error('INSERT … RETURNING produced no row');
    return row;
  },

  listForAsset(tx: Tx, ctx: TenantContext, assetId: string) {
    return tx
      .select()
      .from(agentActions)
      .where(and(eq(agentActions.orgId, ctx.orgId), eq(agentActions.assetId, assetId), scope(ctx)))
      .orderBy(desc(agentActions.createdAt), desc(agentActions.id))
      .limit(LIST_LIMIT);
  },

  async find(tx: Tx, ctx: TenantContext, actionId: string): Promise<ActionRow | null> {
    const [row] = await tx.select().from(agentActions).where(mine(ctx, actionId));
    return row ?? null;
  },

  /** The row, locked until the transaction ends: approve, deny, cancel and a result queue here. */
  async lock(tx: Tx, ctx: TenantContext, actionId: string): Promise<ActionRow | null> {
    const [row] = await tx.select().from(agentActions).where(mine(ctx, actionId)).for('update');
    return row ?? null;
  },

  async update(tx: Tx, ctx: TenantContext, actionId: string, values: Partial<typeof agentActions.$inferInsert>): Promise<ActionRow> {
    const [row] = await tx.update(agentActions).set(values).where(mine(ctx, actionId)).returning();
    if (!row) throw new Error('UPDATE … RETURNING produced no row for a locked action');
    return row;
  },

  /** Signed actions of one server that may still run: what its agent is handed. */
  deliverable(tx: Tx, ctx: TenantContext, assetId: string, now: Date, limit: number) {
    return tx
      .select()
      .from(agentActions)
      .where(
        and(
          eq(agentActions.orgId, ctx.orgId),
          eq(agentActions.assetId, assetId),
          scope(ctx),
          inArray(agentActions.status, [...DELIVERABLE]),
          isNotNull(agentActions.envelope),
          gt(agentActions.expiresAt, now),
        ),
      )
      .orderBy(asc(agentActions.approvedAt), asc(agentActions.id))
      .limit(limit)
      .for('update');
  },

  async countDeliverable(tx: Tx, ctx: TenantContext, assetId: string, now: Date): Promise<number> {
    const [row] = await tx
      .select({ n: count() })
      .from(agentActions)
      .where(
        and(
          eq(agentActions.orgId, ctx.orgId),
          eq(agentActions.assetId, assetId),
          scope(ctx),
          inArray(agentActions.status, [...DELIVERABLE]),
          gt(agentActions.expiresAt, now),
        ),
      );
    return Number(row?.n ?? 0);
  },

  /**
   * What the expiry job closes in one organization: requests nobody approved in time, and signed
   * actions past their run deadline (plus their own timeout, so a run that started just before the
   * deadline can still report) that no result came for.
   */
  expirable(tx: Tx, ctx: TenantContext, now: Date, graceSeconds: number) {
    const at = sql`${now.toISOString()}::timestamptz`;
    return tx
      .select()
      .from(agentActions)
      .where(
        and(
          eq(agentActions.orgId, ctx.orgId),
          sql`(
            (${agentActions.status} = 'pending_approval' AND ${agentActions.approvalExpiresAt} <= ${at})
            OR (${agentActions.status} IN ('approved', 'delivered')
                AND ${agentActions.expiresAt} + make_interval(secs => ${agentActions.timeoutSeconds} + ${graceSeconds}::int) <= ${at})
          )`,
        ),
      )
      .for('update', { skipLocked: true });
  },

  /** Every organization: the system scope sees organizations, never their actions. */
  organizationIds(tx: Tx) {
    return tx.select({ id: organizations.id }).from(organizations).orderBy(asc(organizations.id));
  },
};
