import { type SQL, sql } from 'drizzle-orm';
import type { Tx } from '../../db/database.ts';
import type { TenantContext } from '../../db/tenant.ts';
import { after, cursorKeysColumn, type Keyset, orderBy } from '../../lib/keyset.ts';
import type { FindingStatus, Severity } from './findings.schemas.ts';
import { DETAIL_COLUMNS, type FindingFilters, FROM, filterConditions, iso, LIST_COLUMNS, STATUS, tenantFilter } from './findings.sql.ts';

export interface FindingRow {
  id: string;
  asset_id: string;
  asset_name: string;
  client_id: string | null;
  kind: 'package' | 'config';
  vuln_id: string;
  aliases: string[];
  title: string;
  ecosystem: string | null;
  package_name: string | null;
  package_version: string | null;
  source_name: string | null;
  location: string | null;
  fixed_version: string | null;
  fix_state: 'fixed' | 'not_fixed' | 'wont_fix' | 'unknown' | null;
  severity: Severity;
  cvss_score: number | null;
  epss: number | null;
  epss_percentile: number | null;
  kev: boolean;
  kev_due_date: string | null;
  priority: string;
  priority_score: number;
  status: FindingStatus;
  triage: 'acknowledged' | 'risk_accepted' | 'false_positive' | null;
  triage_reason: string | null;
  triage_expires_at: string | null;
  triaged_by: string | null;
  triaged_at: string | null;
  first_seen_at: string;
  last_seen_at: string;
  fixed_at: string | null;
  reopened_at: string | null;
  reopen_count: number;
}

export interface FindingDetailRow extends FindingRow {
  match: string | null;
  subject: string | null;
  observed: string | null;
  evidence: string[];
  remediation: string | null;
  cvss: { version: string | null; vector: string | null } | null;
}

export interface TriageEventRow {
  action: string;
  occurred_at: string;
  actor_user_id: string | null;
  after: Record<string, unknown> | null;
}

async function rows<T>(tx: Tx, query: SQL): Promise<T[]> {
  return ((await tx.execute(query)) as unknown as { rows: T[] }).rows;
}

const ids = (values: readonly string[]) =>
  sql.join(
    values.map((id) => sql`${id}::uuid`),
    sql`, `,
  );

export interface TriageWrite {
  triage: 'acknowledged' | 'risk_accepted' | 'false_positive' | null;
  reason: string | null;
  expiresAt: string | null;
  by: string | null;
}

export const findingsRepo = {
  /** One page in the keyset's order, plus one row more (there is a next page when it comes back). */
  page(tx: Tx, ctx: TenantContext, filter: FindingFilters, keyset: Keyset, cursor: string[] | null, limit: number) {
    const where = cursor ? sql`${filterConditions(ctx, filter)} AND ${after(keyset, cursor)}` : filterConditions(ctx, filter);
    return rows<FindingRow & { cursor_keys: string[] }>(
      tx,
      sql`SELECT ${LIST_COLUMNS}, ${cursorKeysColumn(keyset)} FROM ${FROM} WHERE ${where} ORDER BY ${orderBy(keyset)} LIMIT ${limit + 1}`,
    );
  },

  async countBySeverity(tx: Tx, ctx: TenantContext, filter: FindingFilters) {
    return rows<{ severity: Severity; n: number }>(
      tx,
      sql`SELECT f.severity, count(*)::int AS n FROM ${FROM} WHERE ${filterConditions(ctx, filter)} GROUP BY f.severity`,
    );
  },

  async find(tx: Tx, ctx: TenantContext, findingId: string): Promise<FindingDetailRow | null> {
    const [row] = await rows<FindingDetailRow>(
      tx,
      sql`SELECT ${DETAIL_COLUMNS} FROM ${FROM} WHERE ${tenantFilter(ctx)} AND f.id = ${findingId}::uuid`,
    );
    return row ?? null;
  },

  /** The findings among `findingIds` the context may see, locked against a concurrent change. */
  lockVisible(tx: Tx, ctx: TenantContext, findingIds: readonly string[]) {
    return rows<{ id: string; client_id: string | null; status: FindingStatus; triage: string | null }>(
      tx,
      sql`SELECT f.id::text AS id, f.client_id::text AS client_id, ${STATUS} AS status, f.triage
        FROM vigil.findings f WHERE ${tenantFilter(ctx)} AND f.id IN (${ids(findingIds)}) ORDER BY f.id FOR UPDATE`,
    );
  },

  async setTriage(tx: Tx, ctx: TenantContext, findingIds: readonly string[], write: TriageWrite): Promise<void> {
    await tx.execute(sql`UPDATE vigil.findings f SET triage = ${write.triage}, triage_reason = ${write.reason},
      triage_expires_at = ${write.expiresAt}::timestamptz, triaged_by = ${write.by}::uuid,
      triaged_at = ${write.triage === null ? null : sql`now()`}, updated_at = now()
      WHERE ${tenantFilter(ctx)} AND f.id IN (${ids(findingIds)})`);
  },

  listByIds(tx: Tx, ctx: TenantContext, findingIds: readonly string[]) {
    return rows<FindingRow>(
      tx,
      sql`SELECT ${LIST_COLUMNS} FROM ${FROM} WHERE ${tenantFilter(ctx)} AND f.id IN (${ids(findingIds)}) ORDER BY f.id`,
    );
  },

  /** The triage changes recorded for a finding, oldest first (RLS confines them to what the actor may see). */
  history(tx: Tx, ctx: TenantContext, findingId: string) {
    return rows<TriageEventRow>(
      tx,
      sql`SELECT action, ${iso(sql`occurred_at`)} AS occurred_at, actor_user_id::text AS actor_user_id, after
        FROM vigil.audit_log WHERE org_id = ${ctx.orgId}::uuid AND target_type = 'finding' AND target_id = ${findingId}
        AND action LIKE 'finding.%' ORDER BY seq DESC LIMIT 200`,
    );
  },
};
