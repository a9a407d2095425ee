import { type SQL, sql } from 'drizzle-orm';
import type { Tx } from '../../db/database.ts';
import type { TenantContext } from '../../db/tenant.ts';
import { after, cursorKeysColumn, type Keyset, keyParts, orderBy } from '../../lib/keyset.ts';
import { isoText } from './assets.read.ts';

/**
 * A server's current packages, its inventory history and the package changes each inventory
 * brought. Every query names the organization and the asset (which the service has already
 * found visible) and, for a client-bound actor, its clients; RLS checks the same again.
 */
export const PACKAGE_KEYSET: Keyset = {
  scope: 'asset-packages',
  direction: 'asc',
  parts: [keyParts.text(sql`p.ecosystem`), keyParts.text(sql`p.name`), keyParts.text(sql`p.arch`), keyParts.text(sql`p.location`)],
};
export const HISTORY_KEYSET: Keyset = { scope: 'inventories', direction: 'desc', parts: [keyParts.bigint(sql`i.id`)] };
export const CHANGES_KEYSET: Keyset = { scope: 'package-changes', direction: 'desc', parts: [keyParts.bigint(sql`c.id`)] };

export interface PackageRow {
  ecosystem: string;
  name: string;
  version: string;
  arch: string;
  location: string;
  source_name: string | null;
  source_version: string | null;
  dev: boolean;
  first_seen_at: string;
  updated_at: string;
  cursor_keys: string[];
}
export interface InventoryRow {
  id: string;
  received_at: string;
  collected_at: string;
  agent_version: string;
  digest: string;
  package_count: number;
  added: number;
  removed: number;
  changed: number;
  cursor_keys: string[];
}
export interface ChangeRow {
  id: string;
  inventory_id: string;
  change: 'added' | 'removed' | 'changed';
  ecosystem: string;
  name: string;
  arch: string;
  location: string;
  old_version: string | null;
  new_version: string | null;
  at: string;
  cursor_keys: string[];
}
export interface FactsRow {
  id: string;
  received_at: string;
  collected_at: string;
  host: unknown;
  config_facts: unknown;
  services: unknown;
  collectors: unknown;
  wordpress: unknown;
}

async function rows<T>(tx: Tx, query: SQL): Promise<T[]> {
  return ((await tx.execute(query)) as unknown as { rows: T[] }).rows;
}

function owned(alias: string, ctx: TenantContext, assetId: string): SQL {
  const t = sql.raw(alias);
  const base = sql`${t}.org_id = ${ctx.orgId}::uuid AND ${t}.asset_id = ${assetId}::uuid`;
  if (ctx.clientIds === 'all') return base;
  if (ctx.clientIds.length === 0) return sql`false`;
  return sql`${base} AND ${t}.client_id IN (${sql.join(
    ctx.clientIds.map((id) => sql`${id}::uuid`),
    sql`, `,
  )})`;
}

const page = (keyset: Keyset, where: SQL, cursor: string[] | null) => (cursor ? sql`${where} AND ${after(keyset, cursor)}` : where);

export const assetInventoryRepo = {
  packages(
    tx: Tx,
    ctx: TenantContext,
    assetId: string,
    filter: { ecosystem?: string | undefined; pattern?: string | undefined },
    cursor: string[] | null,
    limit: number,
  ) {
    const parts = [owned('p', ctx, assetId)];
    if (filter.ecosystem) parts.push(sql`p.ecosystem = ${filter.ecosystem}`);
    if (filter.pattern) parts.push(sql`(p.name ILIKE ${filter.pattern} ESCAPE '\\' OR p.source_name ILIKE ${filter.pattern} ESCAPE '\\')`);
    return rows<PackageRow>(
      tx,
      sql`SELECT p.ecosystem, p.name, p.version, p.arch, p.location, p.source_name, p.source_version, p.dev,
        ${isoText(sql`p.first_seen_at`)} AS first_seen_at, ${isoText(sql`p.updated_at`)} AS updated_at, ${cursorKeysColumn(PACKAGE_KEYSET)}
        FROM vigil.asset_packages p WHERE ${page(PACKAGE_KEYSET, sql.join(parts, sql` AND `), cursor)}
        ORDER BY ${orderBy(PACKAGE_KEYSET)} LIMIT ${limit + 1}`,
    );
  },

  history(tx: Tx, ctx: TenantContext, assetId: string, cursor: string[] | null, limit: number) {
    return rows<InventoryRow>(
      tx,
      sql`SELECT i.id::text AS id, ${isoText(sql`i.received_at`)} AS received_at, ${isoText(sql`i.collected_at`)} AS collected_at,
        i.agent_version, i.digest, i.package_count, i.added, i.removed, i.changed, ${cursorKeysColumn(HISTORY_KEYSET)}
        FROM vigil.inventories i WHERE ${page(HISTORY_KEYSET, owned('i', ctx, assetId), cursor)}
        ORDER BY ${orderBy(HISTORY_KEYSET)} LIMIT ${limit + 1}`,
    );
  },

  changes(tx: Tx, ctx: TenantContext, assetId: string, inventoryId: string | undefined, cursor: string[] | null, limit: number) {
    const where = inventoryId ? sql`${owned('c', ctx, assetId)} AND c.inventory_id = ${inventoryId}::bigint` : owned('c', ctx, assetId);
    return rows<ChangeRow>(
      tx,
      sql`SELECT c.id::text AS id, c.inventory_id::text AS inventory_id, c.change, c.ecosystem, c.name, c.arch, c.location,
        c.old_version, c.new_version, ${isoText(sql`c.at`)} AS at, ${cursorKeysColumn(CHANGES_KEYSET)}
        FROM vigil.package_changes c WHERE ${page(CHANGES_KEYSET, where, cursor)}
        ORDER BY ${orderBy(CHANGES_KEYSET)} LIMIT ${limit + 1}`,
    );
  },

  async latestFacts(tx: Tx, ctx: TenantContext, assetId: string): Promise<FactsRow | null> {
    const [row] = await rows<FactsRow>(
      tx,
      sql`SELECT i.id::text AS id, ${isoText(sql`i.received_at`)} AS received_at, ${isoText(sql`i.collected_at`)} AS collected_at,
        i.host, i.config_facts, i.services, i.collectors, i.wordpress
        FROM vigil.inventories i WHERE ${owned('i', ctx, assetId)} ORDER BY i.id DESC LIMIT 1`,
    );
    return row ?? null;
  },
};
