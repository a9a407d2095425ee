import type { Inventory } from '@vigil/protocol';
import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/database.ts';
import { rows } from '../agents/enrollment.repo.ts';
import type { FindingAsset } from './findings.repo.ts';
import type { StoredPackage } from './package-findings.ts';

export interface IngestAsset extends FindingAsset {
  inventoryDigest: string | null;
  osEcosystem: string | null;
}

export interface PackageChange {
  change: 'added' | 'removed' | 'changed';
  ecosystem: string;
  name: string;
  arch: string;
  location: string;
  old_version: string | null;
  new_version: string | null;
}

const PACKAGE_RECORD = sql.raw(
  '(ecosystem text, name text, arch text, location text, version text, "sourceName" text, "sourceVersion" text, "epochKnown" boolean, dev boolean)',
);

export const inventoryRepo = {
  /**
   * An unchanged inventory: only the server's liveness moves. One statement, which also answers
   * the open-finding count for the receipt; null when the digest differs (or the server is gone).
   */
  async touchIfUnchanged(tx: Tx, assetId: string, digest: string): Promise<{ open: number } | null> {
    const [row] = await rows<{ open: number | string }>(
      tx,
      sql`UPDATE vigil.assets SET last_seen_at = now(), agent_state = 'online'
           WHERE id = ${assetId}::uuid AND kind = 'server' AND inventory_digest = ${digest}
          RETURNING (SELECT count(*) FROM vigil.findings WHERE asset_id = ${assetId}::uuid AND state = 'open') AS open`,
    );
    return row ? { open: Number(row.open) } : null;
  },

  /** The server, locked: two inventories of one server are applied one after the other. */
  async lockAsset(tx: Tx, assetId: string): Promise<IngestAsset | null> {
    const [row] = await rows<{
      id: string;
      org_id: string;
      client_id: string | null;
      inventory_digest: string | null;
      os_ecosystem: string | null;
    }>(
      tx,
      sql`SELECT id, org_id, client_id, inventory_digest, os->>'ecosystem' AS os_ecosystem
            FROM vigil.assets WHERE id = ${assetId}::uuid AND kind = 'server' FOR UPDATE`,
    );
    return row
      ? { id: row.id, orgId: row.org_id, clientId: row.client_id, inventoryDigest: row.inventory_digest, osEcosystem: row.os_ecosystem }
      : null;
  },

  packages(tx: Tx, assetId: string): Promise<StoredPackage[]> {
    return rows<StoredPackage>(
      tx,
      sql`SELECT ecosystem, name, arch, location, version, source_name AS "sourceName", source_version AS "sourceVersion",
                 epoch_known AS "epochKnown", dev
            FROM vigil.asset_packages WHERE asset_id = ${assetId}::uuid`,
    );
  },

  async insertInventory(
    tx: Tx,
    asset: IngestAsset,
    inventory: Inventory,
    digest: string,
    counts: { added: number; removed: number; changed: number },
  ): Promise<number> {
    const [row] = await rows<{ id: number | string }>(
      tx,
      sql`INSERT INTO vigil.inventories (org_id, client_id, asset_id, digest, collected_at, agent_version, host, wordpress, config_facts,
            services, collectors, package_count, added, removed, changed)
          VALUES (${asset.orgId}::uuid, ${asset.clientId}::uuid, ${asset.id}::uuid, ${digest}, ${inventory.collectedAt}::timestamptz,
            ${inventory.agentVersion}, ${JSON.stringify(inventory.host)}::jsonb, ${JSON.stringify(inventory.wordpress)}::jsonb,
            ${JSON.stringify(inventory.configFacts)}::jsonb, ${JSON.stringify(inventory.services)}::jsonb,
            ${JSON.stringify(inventory.collectors)}::jsonb, ${inventory.packages.length}, ${counts.added}, ${counts.removed}, ${counts.changed})
          RETURNING id`,
    );
    if (!row) throw new Error('INSERT … RETURNING produced no row');
    return Number(row.id);
  },

  /** Added and changed packages in one multi-row upsert. */
  async upsertPackages(tx: Tx, asset: IngestAsset, packages: StoredPackage[]): Promise<void> {
    if (packages.length === 0) return;
    await tx.execute(sql`
      INSERT INTO vigil.asset_packages AS ap (asset_id, org_id, client_id, ecosystem, name, arch, location, version, source_name,
        source_version, epoch_known, dev)
      SELECT ${asset.id}::uuid, ${asset.orgId}::uuid, ${asset.clientId}::uuid, p.ecosystem, p.name, p.arch, p.location, p.version,
        p."sourceName", p."sourceVersion", p."epochKnown", coalesce(p.dev, false)
      FROM jsonb_to_recordset(${JSON.stringify(packages)}::jsonb) AS p ${PACKAGE_RECORD}
      ON CONFLICT (asset_id, ecosystem, name, arch, location) DO UPDATE SET
        version = EXCLUDED.version, source_name = EXCLUDED.source_name, source_version = EXCLUDED.source_version,
        epoch_known = EXCLUDED.epoch_known, dev = EXCLUDED.dev, client_id = EXCLUDED.client_id, updated_at = now()`);
  },

  async deletePackages(tx: Tx, assetId: string, packages: StoredPackage[]): Promise<void> {
    if (packages.length === 0) return;
    await tx.execute(sql`
      DELETE FROM vigil.asset_packages ap USING jsonb_to_recordset(${JSON.stringify(packages)}::jsonb) AS p ${PACKAGE_RECORD}
       WHERE ap.asset_id = ${assetId}::uuid AND ap.ecosystem = p.ecosystem AND ap.name = p.name AND ap.arch = p.arch AND ap.location = p.location`);
  },

  async insertChanges(tx: Tx, asset: IngestAsset, inventoryId: number, changes: PackageChange[]): Promise<void> {
    if (changes.length === 0) return;
    await tx.execute(sql`
      INSERT INTO vigil.package_changes (inventory_id, org_id, client_id, asset_id, change, ecosystem, name, arch, location, old_version, new_version)
      SELECT ${inventoryId}, ${asset.orgId}::uuid, ${asset.clientId}::uuid, ${asset.id}::uuid, c.change, c.ecosystem, c.name, c.arch, c.location,
        c.old_version, c.new_version
      FROM jsonb_to_recordset(${JSON.stringify(changes)}::jsonb)
        AS c(change text, ecosystem text, name text, arch text, location text, old_version text, new_version text)`);
  },

  async recordHost(tx: Tx, assetId: string, inventory: Inventory, digest: string): Promise<void> {
    const { host } = inventory;
    await tx.execute(sql`UPDATE vigil.assets SET
        os = ${host.os === null ? null : JSON.stringify(host.os)}::jsonb, kernel = ${host.kernel?.release ?? null},
        hostname = ${host.hostname}, machine_id = coalesce(${host.machineId ?? null}, machine_id), agent_version = ${inventory.agentVersion},
        inventory_digest = ${digest}, last_inventory_at = now(), last_seen_at = now(), agent_state = 'online', updated_at = now()
      WHERE id = ${assetId}::uuid`);
  },
};
