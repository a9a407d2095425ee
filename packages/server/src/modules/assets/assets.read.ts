import { type SQL, sql } from 'drizzle-orm';
import type { Tx } from '../../db/database.ts';
import type { AssetKind } from '../../db/schema.ts';
import type { TenantContext } from '../../db/tenant.ts';
import type { AgentState } from './assets.schemas.ts';

/**
 * Reading assets with what their agent reported and their open findings, in plain SQL (the
 * agent columns and the findings table come from migration 0008). Times leave the database as
 * ISO text in UTC so both drivers return the same values.
 */
export interface AssetRow {
  id: string;
  kind: AssetKind;
  name: string;
  client_id: string | null;
  created_at: string;
  updated_at: string;
  agent_state: AgentState;
  last_seen_at: string | null;
  hostname: string | null;
  os: { id: string | null; versionId: string | null; prettyName: string | null; ecosystem: string | null } | null;
  kernel: string | null;
  agent_version: string | null;
  enrolled_at: string | null;
  last_inventory_at: string | null;
  check_in_seconds: number;
  open_counts: Record<string, number> | null;
}

export interface AssetsFilter {
  kind?: AssetKind | undefined;
  clientId?: string | null | undefined;
  agentState?: AgentState | undefined;
}

export const isoText = (column: SQL) => sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const osField = (field: string) => sql`CASE WHEN jsonb_typeof(a.os -> ${field}) = 'string' THEN left(a.os ->> ${field}, 256) END`;

/**
 * Open and not set aside: a false positive, or a risk accepted until a date still ahead, is not
 * counted; an acknowledged one is (someone knows, nobody fixed it yet).
 */
export const STILL_TO_DO = sql`f.state = 'open' AND (f.triage IS NULL OR f.triage = 'acknowledged'
  OR (f.triage = 'risk_accepted' AND f.triage_expires_at <= now()))`;

const COLUMNS = sql`a.id::text AS id, a.kind, a.name, a.client_id::text AS client_id,
  ${isoText(sql`a.created_at`)} AS created_at, ${isoText(sql`a.updated_at`)} AS updated_at,
  a.agent_state, ${isoText(sql`a.last_seen_at`)} AS last_seen_at, a.hostname,
  CASE WHEN jsonb_typeof(a.os) = 'object' THEN jsonb_build_object('id', ${osField('id')}, 'versionId', ${osField('versionId')},
    'prettyName', ${osField('prettyName')}, 'ecosystem', ${osField('ecosystem')}) END AS os,
  a.kernel, a.agent_version, ${isoText(sql`a.enrolled_at`)} AS enrolled_at, ${isoText(sql`a.last_inventory_at`)} AS last_inventory_at,
  a.check_in_seconds, counts.open_counts`;

const OPEN_COUNTS = sql`LEFT JOIN LATERAL (
  SELECT jsonb_object_agg(s.severity, s.n) AS open_counts FROM (
    SELECT f.severity, count(*)::int AS n FROM vigil.findings f
    WHERE f.asset_id = a.id AND f.org_id = a.org_id AND ${STILL_TO_DO} GROUP BY f.severity) s) counts ON true`;

function tenant(ctx: TenantContext): SQL {
  const org = sql`a.org_id = ${ctx.orgId}::uuid`;
  if (ctx.clientIds === 'all') return org;
  if (ctx.clientIds.length === 0) return sql`false`;
  return sql`${org} AND a.client_id IN (${sql.join(
    ctx.clientIds.map((id) => sql`${id}::uuid`),
    sql`, `,
  )})`;
}

async function rows<T>(tx: Tx, query: SQL): Promise<T[]> {
  return ((await tx.execute(query)) as unknown as { rows: T[] }).rows;
}

export const assetReads = {
  list(tx: Tx, ctx: TenantContext, filter: AssetsFilter): Promise<AssetRow[]> {
    const parts: SQL[] = [tenant(ctx)];
    if (filter.kind) parts.push(sql`a.kind = ${filter.kind}`);
    if (filter.clientId === null) parts.push(sql`a.client_id IS NULL`);
    else if (filter.clientId !== undefined) parts.push(sql`a.client_id = ${filter.clientId}::uuid`);
    if (filter.agentState) parts.push(sql`a.agent_state = ${filter.agentState}`);
    return rows<AssetRow>(
      tx,
      sql`SELECT ${COLUMNS} FROM vigil.assets a ${OPEN_COUNTS} WHERE ${sql.join(parts, sql` AND `)} ORDER BY a.name, a.id`,
    );
  },

  async find(tx: Tx, ctx: TenantContext, assetId: string): Promise<AssetRow | null> {
    const [row] = await rows<AssetRow>(
      tx,
      sql`SELECT ${COLUMNS} FROM vigil.assets a ${OPEN_COUNTS} WHERE ${tenant(ctx)} AND a.id = ${assetId}::uuid`,
    );
    return row ?? null;
  },
};
