import { type Cvss, DEFAULT_SLA_DAYS, enrichFindings, type Finding, priorityOf, type Severity } from '@vigil/vulndb';
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { type TenantContext, withSystem, withTenant } from '../../db/tenant.ts';
import { rows } from '../agents/enrollment.repo.ts';
import { loadEnrichment } from '../intel/enrichment.repo.ts';
import { sessionOf } from './tx-session.ts';

interface OpenFinding {
  id: string;
  vuln_id: string;
  aliases: string[];
  severity: Severity;
  cvss: Cvss | null;
  first_seen: string;
}

/**
 * After a KEV, EPSS or NVD import: the exploitation, likelihood and (where the advisory had none)
 * CVSS of every open package finding, and so its priority, read again. EPSS and NVD change
 * wholesale, so every open finding is refreshed, organization by organization, in one read and
 * one batched UPDATE each. Returns how many findings changed.
 */
export async function refreshEnrichment(database: Database): Promise<number> {
  const orgs = await withSystem(database.db, (tx) => rows<{ id: string }>(tx, sql`SELECT id FROM vigil.organizations ORDER BY id`));
  let changed = 0;
  for (const org of orgs) {
    const ctx: TenantContext = { orgId: org.id, userId: null, role: 'VIEWER', clientIds: 'all' };
    changed += await withTenant(database.db, ctx, async (tx) => {
      const open = await rows<OpenFinding>(
        tx,
        sql`SELECT id, vuln_id, aliases, severity, cvss, to_char(first_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS first_seen
              FROM vigil.findings WHERE org_id = ${org.id}::uuid AND kind = 'package' AND state = 'open'`,
      );
      if (open.length === 0) return 0;
      const known = await loadEnrichment(
        sessionOf(tx),
        open.flatMap((f) => [f.vuln_id, ...f.aliases]),
      );
      const asFindings = open.map((f) => ({ id: f.vuln_id, aliases: f.aliases, severity: f.severity, cvss: f.cvss }) as Finding);
      const updates = enrichFindings(asFindings, known).map((e, i) => {
        const row = open[i] as OpenFinding;
        const p = priorityOf(
          { severity: e.severity, kevDueDate: e.kev?.dueDate ?? null, epss: e.epss?.score ?? null, foundOn: row.first_seen },
          DEFAULT_SLA_DAYS,
        );
        return {
          id: row.id,
          severity: e.severity,
          cvss: e.cvss,
          cvss_score: e.cvss?.score ?? null,
          kev: e.kev !== null,
          kev_due_date: e.kev?.dueDate ?? null,
          epss: e.epss?.score ?? null,
          epss_percentile: e.epss?.percentile ?? null,
          priority: p.label,
          priority_score: p.rank,
        };
      });
      const done = await rows(
        tx,
        sql`UPDATE vigil.findings f SET severity = u.severity, cvss = u.cvss, cvss_score = u.cvss_score, kev = u.kev,
              kev_due_date = u.kev_due_date, epss = u.epss, epss_percentile = u.epss_percentile, priority = u.priority,
              priority_score = u.priority_score, updated_at = now()
            FROM jsonb_to_recordset(${JSON.stringify(updates)}::jsonb) AS u(id uuid, severity text, cvss jsonb, cvss_score numeric,
              kev boolean, kev_due_date date, epss numeric, epss_percentile numeric, priority text, priority_score numeric)
           WHERE f.id = u.id AND (f.kev, f.kev_due_date, f.epss, f.epss_percentile, f.priority, f.priority_score, f.severity, f.cvss_score)
                 IS DISTINCT FROM (u.kev, u.kev_due_date, u.epss, u.epss_percentile, u.priority, u.priority_score, u.severity, u.cvss_score)
          RETURNING f.id`,
      );
      return done.length;
    });
  }
  return changed;
}
