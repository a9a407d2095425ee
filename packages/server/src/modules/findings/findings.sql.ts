import { type SQL, sql } from 'drizzle-orm';
import type { TenantContext } from '../../db/tenant.ts';
import { type Direction, type Keyset, keyParts } from '../../lib/keyset.ts';
import { containsPattern } from '../../lib/like.ts';
import type { FindingListQuery, FindingSort } from './findings.schemas.ts';

/**
 * The pieces of the findings queries, in plain SQL over `vigil.findings f JOIN vigil.assets a`.
 * Times leave the database as ISO text in UTC and numerics as float8, so both drivers (PGlite
 * and node-postgres) hand back the same JavaScript values.
 */

export const iso = (column: SQL) => sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** `fixed` when the last inventory no longer has it; else the person's triage; an expired acceptance is open. */
export const STATUS = sql`CASE
  WHEN f.state = 'fixed' THEN 'fixed'
  WHEN f.triage IS NULL THEN 'open'
  WHEN f.triage = 'risk_accepted' AND f.triage_expires_at <= now() THEN 'open'
  ELSE f.triage END`;

export const SEVERITY_RANK = sql`CASE f.severity
  WHEN 'CRITICAL' THEN 5 WHEN 'HIGH' THEN 4 WHEN 'MEDIUM' THEN 3 WHEN 'LOW' THEN 2 WHEN 'NEGLIGIBLE' THEN 1 ELSE 0 END`;

/** A string field of a jsonb value, or null when it is anything else. */
const jsonText = (value: SQL, field: string, max: number) =>
  sql`CASE WHEN jsonb_typeof(${value} -> ${field}) = 'string' THEN left(${value} ->> ${field}, ${max}) END`;

export const LIST_COLUMNS = sql`f.id::text AS id, a.id::text AS asset_id, a.name AS asset_name, f.client_id::text AS client_id,
  f.kind, f.vuln_id, f.aliases, f.title, f.ecosystem, f.package_name, f.package_version, f.source_name, f.location,
  f.fixed_version, f.fix_state, f.severity, f.cvss_score::float8 AS cvss_score, f.epss::float8 AS epss,
  f.epss_percentile::float8 AS epss_percentile, f.kev, to_char(f.kev_due_date, 'YYYY-MM-DD') AS kev_due_date,
  f.priority, f.priority_score::float8 AS priority_score, ${STATUS} AS status, f.triage, f.triage_reason,
  ${iso(sql`f.triage_expires_at`)} AS triage_expires_at, f.triaged_by::text AS triaged_by, ${iso(sql`f.triaged_at`)} AS triaged_at,
  ${iso(sql`f.first_seen_at`)} AS first_seen_at, ${iso(sql`f.last_seen_at`)} AS last_seen_at, ${iso(sql`f.fixed_at`)} AS fixed_at,
  ${iso(sql`f.reopened_at`)} AS reopened_at, f.reopen_count`;

export const DETAIL_COLUMNS = sql`${LIST_COLUMNS}, f.match, f.subject, f.observed, f.evidence, f.remediation,
  CASE WHEN jsonb_typeof(f.cvss) = 'object' THEN jsonb_build_object(
    'version', ${jsonText(sql`f.cvss`, 'version', 20)}, 'vector', ${jsonText(sql`f.cvss`, 'vector', 300)}) END AS cvss`;

export const FROM = sql`vigil.findings f JOIN vigil.assets a ON a.id = f.asset_id AND a.org_id = f.org_id`;

/** The organization, and for a client-bound actor its clients: the application's filter under RLS. */
export function tenantFilter(ctx: TenantContext): SQL {
  const org = sql`f.org_id = ${ctx.orgId}::uuid`;
  if (ctx.clientIds === 'all') return org;
  if (ctx.clientIds.length === 0) return sql`false`;
  return sql`${org} AND f.client_id IN (${sql.join(
    ctx.clientIds.map((id) => sql`${id}::uuid`),
    sql`, `,
  )})`;
}

const list = (values: readonly string[]) =>
  sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  );

// Never NULL (fix_state often is), so `NOT` selects exactly the rest.
const FIXABLE = sql`(f.fixed_version IS NOT NULL OR f.fix_state IS NOT DISTINCT FROM 'fixed')`;

export type FindingFilters = Omit<FindingListQuery, 'sort' | 'order' | 'limit' | 'cursor' | 'summary'>;

export function filterConditions(ctx: TenantContext, filter: FindingFilters): SQL {
  const parts: SQL[] = [tenantFilter(ctx)];
  if (filter.severity?.length) parts.push(sql`f.severity IN (${list(filter.severity)})`);
  if (filter.status?.length) parts.push(sql`(${STATUS}) IN (${list(filter.status)})`);
  if (filter.kev !== undefined) parts.push(sql`f.kev = ${filter.kev}`);
  if (filter.fixable !== undefined) parts.push(filter.fixable ? FIXABLE : sql`NOT ${FIXABLE}`);
  if (filter.kind) parts.push(sql`f.kind = ${filter.kind}`);
  if (filter.clientId) parts.push(sql`f.client_id = ${filter.clientId}::uuid`);
  if (filter.assetId) parts.push(sql`f.asset_id = ${filter.assetId}::uuid`);
  if (filter.q) {
    const p = containsPattern(filter.q);
    parts.push(sql`(f.vuln_id ILIKE ${p} ESCAPE '\\' OR f.title ILIKE ${p} ESCAPE '\\'
      OR f.package_name ILIKE ${p} ESCAPE '\\' OR EXISTS (SELECT 1 FROM unnest(f.aliases) AS alias WHERE alias ILIKE ${p} ESCAPE '\\'))`);
  }
  return sql.join(parts, sql` AND `);
}

const ID = keyParts.uuid(sql`f.id`);
const SORT_PARTS: Record<FindingSort, Keyset['parts']> = {
  priority: [keyParts.numeric(sql`f.priority_score`), ID],
  severity: [keyParts.integer(SEVERITY_RANK), keyParts.numeric(sql`f.priority_score`), ID],
  firstSeen: [keyParts.timestamp(sql`f.first_seen_at`), ID],
  lastSeen: [keyParts.timestamp(sql`f.last_seen_at`), ID],
  package: [keyParts.text(sql`coalesce(f.package_name, '')`), keyParts.text(sql`coalesce(f.package_version, '')`), ID],
  asset: [keyParts.text(sql`a.name`), ID],
};
const DEFAULT_DIRECTION: Record<FindingSort, Direction> = {
  priority: 'desc',
  severity: 'desc',
  firstSeen: 'desc',
  lastSeen: 'desc',
  package: 'asc',
  asset: 'asc',
};

export function findingKeyset(sort: FindingSort, order: Direction | undefined): Keyset {
  return { scope: `findings.${sort}`, parts: SORT_PARTS[sort], direction: order ?? DEFAULT_DIRECTION[sort] };
}
