import { sql } from 'drizzle-orm';
import { seedContext } from '../../../test/helpers/factories.ts';
import type { Db } from '../../db/database.ts';
import { withTenant } from '../../db/tenant.ts';

/**
 * Rows the ingest path would write, inserted directly (through the RLS-bound app role, in the
 * organization's context), so the query API is tested without waiting for an agent.
 */
export interface SeedFinding {
  assetId: string;
  clientId: string | null;
  kind?: 'package' | 'config';
  vulnId: string;
  aliases?: string[];
  title?: string;
  ecosystem?: string | null;
  packageName?: string | null;
  packageVersion?: string | null;
  fixedVersion?: string | null;
  fixState?: 'fixed' | 'not_fixed' | 'wont_fix' | 'unknown' | null;
  severity?: 'UNKNOWN' | 'NEGLIGIBLE' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
  kev?: boolean;
  kevDueDate?: string | null;
  priorityScore?: number;
  priority?: string;
  state?: 'open' | 'fixed';
  triage?: 'acknowledged' | 'risk_accepted' | 'false_positive' | null;
  triageReason?: string | null;
  triageExpiresAt?: string | null;
  firstSeenAt?: string;
  lastSeenAt?: string;
  subject?: string | null;
  observed?: string | null;
  evidence?: string[];
  remediation?: string | null;
  cvss?: Record<string, unknown> | null;
  match?: string | null;
}

const textArray = (values: readonly string[]) =>
  values.length === 0
    ? sql`'{}'::text[]`
    : sql`ARRAY[${sql.join(
        values.map((v) => sql`${v}`),
        sql`, `,
      )}]::text[]`;

export async function seedFindings(db: Db, orgId: string, findings: readonly SeedFinding[]): Promise<string[]> {
  return withTenant(db, seedContext(orgId), async (tx) => {
    const ids: string[] = [];
    for (const [i, f] of findings.entries()) {
      const kind = f.kind ?? 'package';
      const result = await tx.execute(sql`INSERT INTO vigil.findings (org_id, client_id, asset_id, kind, key, vuln_id, aliases, title,
          ecosystem, package_name, package_version, fixed_version, fix_state, subject, observed, evidence, remediation,
          severity, cvss_score, cvss, kev, kev_due_date, priority_score, priority, match, state, triage, triage_reason,
          triage_expires_at, first_seen_at, last_seen_at, fixed_at)
        VALUES (${orgId}::uuid, ${f.clientId}::uuid, ${f.assetId}::uuid, ${kind}, ${`${kind}:${f.vulnId}:${f.packageName ?? f.subject ?? ''}:${i}:${Math.random()}`},
          ${f.vulnId}, ${textArray(f.aliases ?? [])}, ${f.title ?? ''}, ${f.ecosystem ?? (kind === 'package' ? 'Debian:12' : null)},
          ${f.packageName === undefined ? (kind === 'package' ? 'pkg' : null) : f.packageName}, ${f.packageVersion ?? (kind === 'package' ? '1.0' : null)},
          ${f.fixedVersion ?? null}, ${f.fixState ?? null}, ${f.subject ?? null}, ${f.observed ?? null}, ${textArray(f.evidence ?? [])},
          ${f.remediation ?? null}, ${f.severity ?? 'MEDIUM'}, ${null}, ${f.cvss ? JSON.stringify(f.cvss) : null}::jsonb, ${f.kev ?? false},
          ${f.kevDueDate ?? null}::date, ${f.priorityScore ?? 0}, ${f.priority ?? 'P4'}, ${f.match ?? null}, ${f.state ?? 'open'},
          ${f.triage ?? null}, ${f.triageReason ?? null}, ${f.triageExpiresAt ?? null}::timestamptz,
          ${f.firstSeenAt ?? new Date().toISOString()}::timestamptz, ${f.lastSeenAt ?? new Date().toISOString()}::timestamptz,
          ${f.state === 'fixed' ? sql`now()` : null})
        RETURNING id::text AS id`);
      ids.push((result as unknown as { rows: Array<{ id: string }> }).rows[0]?.id as string);
    }
    return ids;
  });
}
