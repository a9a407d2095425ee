import { type SQL, sql } from 'drizzle-orm';
import type { Tx } from '../../db/database.ts';
import type { TenantContext } from '../../db/tenant.ts';

export interface EnrollmentTokenRow {
  id: string;
  org_id: string;
  client_id: string | null;
  asset_id: string | null;
  prefix: string;
  secret_hash: string;
  name: string;
  created_by: string | null;
  created_at: Date | string;
  expires_at: Date | string;
  used_at: Date | string | null;
  used_by_asset_id: string | null;
  revoked_at: Date | string | null;
}

export interface AgentAssetRow {
  id: string;
  org_id: string;
  client_id: string | null;
  kind: string;
  name: string;
  check_in_seconds: number;
  inventory_digest: string | null;
  last_inventory_at: Date | string | null;
  agent_state: string;
}

export async function rows<T>(tx: Tx, query: SQL): Promise<T[]> {
  return ((await tx.execute(query)) as unknown as { rows: T[] }).rows;
}

/** A client-bound context sees its clients' rows only (RLS says the same; this does not rely on it). */
const clientFilter = (ctx: TenantContext): SQL =>
  ctx.clientIds === 'all' ? sql`true` : sql`client_id = ANY(${`{${ctx.clientIds.join(',')}}`}::uuid[])`;

const ASSET_COLUMNS = sql.raw('id, org_id, client_id, kind, name, check_in_seconds, inventory_digest, last_inventory_at, agent_state');

/** Tenant scope: every function takes the context first and filters by its organization. */
export const enrollmentTokensRepo = {
  list(tx: Tx, ctx: TenantContext) {
    return rows<EnrollmentTokenRow>(
      tx,
      sql`SELECT * FROM vigil.enrollment_tokens WHERE org_id = ${ctx.orgId}::uuid AND ${clientFilter(ctx)} ORDER BY created_at DESC, id DESC LIMIT 500`,
    );
  },

  async insert(
    tx: Tx,
    ctx: TenantContext,
    v: { clientId: string | null; assetId: string | null; prefix: string; secretHash: string; name: string; expiresAt: Date },
  ): Promise<EnrollmentTokenRow> {
    const [row] = await rows<EnrollmentTokenRow>(
      tx,
      sql`INSERT INTO vigil.enrollment_tokens (org_id, client_id, asset_id, prefix, secret_hash, name, created_by, expires_at)
          VALUES (${ctx.orgId}::uuid, ${v.clientId}::uuid, ${v.assetId}::uuid, ${v.prefix}, ${v.secretHash}, ${v.name}, ${ctx.userId}::uuid, ${v.expiresAt.toISOString()}::timestamptz)
          RETURNING *`,
    );
    if (!row) throw new Error('INSERT … RETURNING produced no row');
    return row;
  },

  async find(tx: Tx, ctx: TenantContext, id: string): Promise<EnrollmentTokenRow | null> {
    const [row] = await rows<EnrollmentTokenRow>(
      tx,
      sql`SELECT * FROM vigil.enrollment_tokens WHERE org_id = ${ctx.orgId}::uuid AND id = ${id}::uuid AND ${clientFilter(ctx)}`,
    );
    return row ?? null;
  },

  async revoke(tx: Tx, ctx: TenantContext, id: string): Promise<EnrollmentTokenRow | null> {
    const [row] = await rows<EnrollmentTokenRow>(
      tx,
      sql`UPDATE vigil.enrollment_tokens SET revoked_at = now()
           WHERE org_id = ${ctx.orgId}::uuid AND id = ${id}::uuid AND revoked_at IS NULL AND ${clientFilter(ctx)} RETURNING *`,
    );
    return row ?? null;
  },

  async clientExists(tx: Tx, ctx: TenantContext, clientId: string): Promise<boolean> {
    return (await rows(tx, sql`SELECT 1 FROM vigil.clients WHERE org_id = ${ctx.orgId}::uuid AND id = ${clientId}::uuid`)).length > 0;
  },
};

/** System scope: enrollment finds its token before any tenant is known. */
export const enrollmentAuthRepo = {
  async findByPrefix(tx: Tx, prefix: string): Promise<EnrollmentTokenRow | null> {
    const [row] = await rows<EnrollmentTokenRow>(tx, sql`SELECT * FROM vigil.enrollment_tokens WHERE prefix = ${prefix}`);
    return row ?? null;
  },

  /**
   * Claims a live token: one conditional UPDATE, so of concurrent enrollments with one token
   * exactly one sees a row (the others wait on its row lock, then find it used).
   */
  async claim(tx: Tx, id: string, now: Date): Promise<boolean> {
    const claimed = await rows(
      tx,
      sql`UPDATE vigil.enrollment_tokens SET used_at = ${now.toISOString()}::timestamptz
           WHERE id = ${id}::uuid AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ${now.toISOString()}::timestamptz
           RETURNING id`,
    );
    return claimed.length > 0;
  },

  async markUsedBy(tx: Tx, id: string, assetId: string): Promise<void> {
    await tx.execute(sql`UPDATE vigil.enrollment_tokens SET used_by_asset_id = ${assetId}::uuid WHERE id = ${id}::uuid`);
  },
};

/** The agent's view of its asset (tenant scope). */
export const agentAssetsRepo = {
  async findForUpdate(tx: Tx, ctx: TenantContext, assetId: string): Promise<AgentAssetRow | null> {
    const [row] = await rows<AgentAssetRow>(
      tx,
      sql`SELECT ${ASSET_COLUMNS} FROM vigil.assets WHERE org_id = ${ctx.orgId}::uuid AND id = ${assetId}::uuid AND ${clientFilter(ctx)} FOR UPDATE`,
    );
    return row ?? null;
  },

  async createServer(tx: Tx, ctx: TenantContext, clientId: string | null, name: string): Promise<AgentAssetRow> {
    const [row] = await rows<AgentAssetRow>(
      tx,
      sql`INSERT INTO vigil.assets (org_id, client_id, kind, name) VALUES (${ctx.orgId}::uuid, ${clientId}::uuid, 'server', ${name})
          RETURNING ${ASSET_COLUMNS}`,
    );
    if (!row) throw new Error('INSERT … RETURNING produced no row');
    return row;
  },

  async markEnrolled(tx: Tx, assetId: string, v: { hostname: string; machineId: string | null; agentVersion: string }): Promise<void> {
    await tx.execute(sql`UPDATE vigil.assets
      SET hostname = ${v.hostname}, machine_id = ${v.machineId}, agent_version = ${v.agentVersion},
          enrolled_at = now(), last_seen_at = now(), agent_state = 'enrolled', updated_at = now()
      WHERE id = ${assetId}::uuid`);
  },

  /** A check-in: the server is alive; what it runs and is called may have changed. */
  async checkIn(
    tx: Tx,
    ctx: TenantContext,
    assetId: string,
    v: { hostname: string; agentVersion: string },
  ): Promise<(AgentAssetRow & { was: string }) | null> {
    const [row] = await rows<AgentAssetRow & { was: string }>(
      tx,
      sql`UPDATE vigil.assets a SET last_seen_at = now(), hostname = ${v.hostname}, agent_version = ${v.agentVersion}, agent_state = 'online'
            FROM (SELECT id, agent_state FROM vigil.assets WHERE id = ${assetId}::uuid FOR UPDATE) old
           WHERE a.id = old.id AND a.org_id = ${ctx.orgId}::uuid AND a.kind = 'server'
          RETURNING a.id, a.org_id, a.client_id, a.kind, a.name, a.check_in_seconds, a.inventory_digest, a.last_inventory_at, a.agent_state, old.agent_state AS was`,
    );
    return row ?? null;
  },
};

export const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());
