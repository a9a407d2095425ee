import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { Tx } from '../../db/database.ts';
import { type AssetKind, assets, clients } from '../../db/schema.ts';
import type { TenantContext } from '../../db/tenant.ts';
import { type AssetRow, type AssetsFilter, assetReads } from './assets.read.ts';

function scope(ctx: TenantContext): SQL | undefined {
  return ctx.clientIds === 'all' ? undefined : inArray(assets.clientId, [...ctx.clientIds]);
}

export const assetsRepo = {
  list(tx: Tx, ctx: TenantContext, filter: AssetsFilter): Promise<AssetRow[]> {
    return assetReads.list(tx, ctx, filter);
  },

  find(tx: Tx, ctx: TenantContext, assetId: string): Promise<AssetRow | null> {
    return assetReads.find(tx, ctx, assetId);
  },

  async clientExists(tx: Tx, ctx: TenantContext, clientId: string): Promise<boolean> {
    const rows = await tx
      .select({ id: clients.id })
      .from(clients)
      .where(and(eq(clients.orgId, ctx.orgId), eq(clients.id, clientId)));
    return rows.length > 0;
  },

  async insert(tx: Tx, ctx: TenantContext, values: { kind: AssetKind; name: string; clientId: string | null }) {
    const [row] = await tx
      .insert(assets)
      .values({ orgId: ctx.orgId, ...values })
      .returning({ id: assets.id });
    return row;
  },

  /** The asset's client as it is now, locked: a move and an inventory of the same server queue here. */
  async lockClient(tx: Tx, ctx: TenantContext, assetId: string): Promise<{ clientId: string | null } | null> {
    const [row] = await tx
      .select({ clientId: assets.clientId })
      .from(assets)
      .where(and(eq(assets.orgId, ctx.orgId), eq(assets.id, assetId), scope(ctx)))
      .for('update');
    return row ?? null;
  },

  /**
   * Moves everything that carries the server's client with it (its findings, packages, history,
   * actions, enrollment tokens and agent token), in the caller's transaction: RLS shows a row to a client
   * by its own client_id, so a row left behind would stay visible to the old client and hidden
   * from the new one.
   */
  async moveDependents(tx: Tx, ctx: TenantContext, assetId: string, clientId: string | null): Promise<void> {
    const where = sql`org_id = ${ctx.orgId}::uuid AND asset_id = ${assetId}::uuid AND client_id IS DISTINCT FROM ${clientId}::uuid`;
    for (const table of ['findings', 'asset_packages', 'inventories', 'package_changes', 'agent_actions', 'enrollment_tokens']) {
      await tx.execute(sql`UPDATE ${sql.raw(`vigil.${table}`)} SET client_id = ${clientId}::uuid WHERE ${where}`);
    }
    // An agent token is client-bound exactly when its server is (api_keys_client_role_check).
    const role = clientId === null ? 'VIEWER' : 'CLIENT_MEMBER';
    await tx.execute(sql`UPDATE vigil.api_keys SET client_id = ${clientId}::uuid, role = ${role} WHERE kind = 'agent' AND ${where}`);
  },

  async update(tx: Tx, ctx: TenantContext, assetId: string, values: { name?: string; clientId?: string | null }) {
    const [row] = await tx
      .update(assets)
      .set(values)
      .where(and(eq(assets.orgId, ctx.orgId), eq(assets.id, assetId), scope(ctx)))
      .returning({ id: assets.id, clientId: assets.clientId });
    return row ?? null;
  },

  async delete(tx: Tx, ctx: TenantContext, assetId: string): Promise<boolean> {
    const rows = await tx
      .delete(assets)
      .where(and(eq(assets.orgId, ctx.orgId), eq(assets.id, assetId), scope(ctx)))
      .returning({ id: assets.id });
    return rows.length > 0;
  },
};
