import { and, asc, eq, inArray, isNull, type SQL } from 'drizzle-orm';
import type { Tx } from '../../db/database.ts';
import { type AssetKind, assets, clients } from '../../db/schema.ts';
import type { TenantContext } from '../../db/tenant.ts';

function scope(ctx: TenantContext): SQL | undefined {
  return ctx.clientIds === 'all' ? undefined : inArray(assets.clientId, [...ctx.clientIds]);
}

export const assetsRepo = {
  list(tx: Tx, ctx: TenantContext, filter: { kind?: AssetKind | undefined; clientId?: string | null | undefined }) {
    return tx
      .select()
      .from(assets)
      .where(
        and(
          eq(assets.orgId, ctx.orgId),
          scope(ctx),
          filter.kind ? eq(assets.kind, filter.kind) : undefined,
          filter.clientId === undefined
            ? undefined
            : filter.clientId === null
              ? isNull(assets.clientId)
              : eq(assets.clientId, filter.clientId),
        ),
      )
      .orderBy(asc(assets.name), asc(assets.id));
  },

  async find(tx: Tx, ctx: TenantContext, assetId: string) {
    const [row] = await tx
      .select()
      .from(assets)
      .where(and(eq(assets.orgId, ctx.orgId), eq(assets.id, assetId), scope(ctx)));
    return row ?? null;
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
      .returning();
    return row;
  },

  async update(tx: Tx, ctx: TenantContext, assetId: string, values: { name?: string; clientId?: string | null }) {
    const [row] = await tx
      .update(assets)
      .set(values)
      .where(and(eq(assets.orgId, ctx.orgId), eq(assets.id, assetId), scope(ctx)))
      .returning();
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
