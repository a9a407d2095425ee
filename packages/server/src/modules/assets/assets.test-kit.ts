import { createHash, randomBytes } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import { seedContext } from '../../../test/helpers/factories.ts';
import type { Db, Tx } from '../../db/database.ts';
import { withTenant } from '../../db/tenant.ts';

/**
 * Rows the enrollment and ingest paths would write, inserted directly through the RLS-bound app
 * role in the organization's context, so the asset read API is tested on its own.
 */
async function rows<T>(tx: Tx, query: SQL): Promise<T[]> {
  return ((await tx.execute(query)) as unknown as { rows: T[] }).rows;
}
const digest = () => createHash('sha256').update(randomBytes(16)).digest('hex');

export interface AgentColumns {
  agentState?: 'none' | 'enrolled' | 'online' | 'offline';
  hostname?: string;
  os?: unknown;
  kernel?: string;
  agentVersion?: string;
  lastSeenAt?: string;
  enrolledAt?: string;
  lastInventoryAt?: string;
}

export function setAgentColumns(db: Db, orgId: string, assetId: string, c: AgentColumns): Promise<unknown> {
  return withTenant(db, seedContext(orgId), (tx) =>
    tx.execute(sql`UPDATE vigil.assets SET agent_state = ${c.agentState ?? 'online'}, hostname = ${c.hostname ?? null},
      os = ${c.os === undefined ? null : JSON.stringify(c.os)}::jsonb, kernel = ${c.kernel ?? null}, agent_version = ${c.agentVersion ?? null},
      last_seen_at = ${c.lastSeenAt ?? null}::timestamptz, enrolled_at = ${c.enrolledAt ?? null}::timestamptz,
      last_inventory_at = ${c.lastInventoryAt ?? null}::timestamptz WHERE id = ${assetId}::uuid`),
  );
}

export interface SeedPackage {
  ecosystem: string;
  name: string;
  version: string;
  arch?: string;
  location?: string;
  sourceName?: string;
}

export function seedPackages(db: Db, orgId: string, assetId: string, clientId: string | null, packages: readonly SeedPackage[]) {
  return withTenant(db, seedContext(orgId), async (tx) => {
    for (const p of packages) {
      await tx.execute(sql`INSERT INTO vigil.asset_packages (asset_id, org_id, client_id, ecosystem, name, arch, location, version, source_name)
        VALUES (${assetId}::uuid, ${orgId}::uuid, ${clientId}::uuid, ${p.ecosystem}, ${p.name}, ${p.arch ?? ''}, ${p.location ?? ''},
          ${p.version}, ${p.sourceName ?? null})`);
    }
  });
}

export interface SeedInventory {
  receivedAt?: string;
  host?: unknown;
  configFacts?: unknown;
  services?: unknown;
  collectors?: unknown;
  wordpress?: unknown;
  packageCount?: number;
  changes?: Array<{ change: 'added' | 'removed' | 'changed'; ecosystem: string; name: string; oldVersion?: string; newVersion?: string }>;
}

/** An inventory row and its package changes; returns the inventory id. */
export function seedInventory(db: Db, orgId: string, assetId: string, clientId: string | null, inv: SeedInventory = {}): Promise<string> {
  const json = (value: unknown, fallback: unknown) => JSON.stringify(value ?? fallback);
  const changes = inv.changes ?? [];
  const count = (kind: string) => changes.filter((c) => c.change === kind).length;
  return withTenant(db, seedContext(orgId), async (tx) => {
    const [row] = await rows<{ id: string }>(
      tx,
      sql`INSERT INTO vigil.inventories (org_id, client_id, asset_id, digest, received_at, collected_at, agent_version, host,
          wordpress, config_facts, services, collectors, package_count, added, removed, changed)
        VALUES (${orgId}::uuid, ${clientId}::uuid, ${assetId}::uuid, ${digest()}, ${inv.receivedAt ?? new Date().toISOString()}::timestamptz,
          now(), '0.1.0', ${json(inv.host, { hostname: 'h' })}::jsonb, ${json(inv.wordpress, [])}::jsonb, ${json(inv.configFacts, [])}::jsonb,
          ${json(inv.services, [])}::jsonb, ${json(inv.collectors, [])}::jsonb, ${inv.packageCount ?? 0},
          ${count('added')}, ${count('removed')}, ${count('changed')})
        RETURNING id::text AS id`,
    );
    const id = row?.id as string;
    for (const c of changes) {
      await tx.execute(sql`INSERT INTO vigil.package_changes (inventory_id, org_id, client_id, asset_id, change, ecosystem, name, old_version, new_version)
        VALUES (${id}::bigint, ${orgId}::uuid, ${clientId}::uuid, ${assetId}::uuid, ${c.change}, ${c.ecosystem}, ${c.name},
          ${c.oldVersion ?? null}, ${c.newVersion ?? null})`);
    }
    return id;
  });
}

export function seedEnrollmentToken(db: Db, orgId: string, assetId: string, clientId: string | null): Promise<void> {
  return withTenant(db, seedContext(orgId), async (tx) => {
    await tx.execute(sql`INSERT INTO vigil.enrollment_tokens (org_id, client_id, asset_id, prefix, secret_hash, name, expires_at)
      VALUES (${orgId}::uuid, ${clientId}::uuid, ${assetId}::uuid, ${`vgl_enroll_${randomBytes(6).toString('hex')}`}, ${digest()},
        'seeded', now() + interval '1 day')`);
  });
}

/** The client_id of every row that names the asset, by table, as an all-seeing context reads them. */
export function clientIdsOf(db: Db, orgId: string, assetId: string): Promise<Record<string, Array<string | null>>> {
  return withTenant(db, seedContext(orgId), async (tx) => {
    const out: Record<string, Array<string | null>> = {};
    for (const table of [
      'findings',
      'asset_packages',
      'inventories',
      'package_changes',
      'agent_actions',
      'enrollment_tokens',
      'api_keys',
    ]) {
      const found = await rows<{ client_id: string | null }>(
        tx,
        sql`SELECT client_id::text AS client_id FROM ${sql.raw(`vigil.${table}`)} WHERE asset_id = ${assetId}::uuid`,
      );
      out[table] = found.map((r) => r.client_id);
    }
    return out;
  });
}
