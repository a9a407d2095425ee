import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/database.ts';
import { rows } from '../agents/enrollment.repo.ts';

/** The asset a finding is written for, as the ingest and the re-match know it. */
export interface FindingAsset {
  id: string;
  orgId: string;
  clientId: string | null;
}

/** One finding as the last evaluation says it should be (open). */
export interface DesiredFinding {
  key: string;
  kind: 'package' | 'config';
  vuln_id: string;
  aliases: string[];
  title: string;
  ecosystem: string | null;
  package_name: string | null;
  package_version: string | null;
  source_name: string | null;
  location: string | null;
  arch: string | null;
  package_key: string | null;
  fixed_version: string | null;
  fix_state: string | null;
  subject: string | null;
  observed: string | null;
  evidence: string[];
  remediation: string | null;
  severity: string;
  cvss_score: number | null;
  cvss: unknown;
  epss: number | null;
  epss_percentile: number | null;
  kev: boolean;
  kev_due_date: string | null;
  priority_score: number;
  priority: string;
  match: string | null;
}

export interface ExistingFinding {
  key: string;
  state: 'open' | 'fixed';
  first_seen_at: Date | string;
}

export interface FindingCounts {
  opened: number;
  fixed: number;
  reopened: number;
}

const RECORD = sql.raw(`(key text, kind text, vuln_id text, aliases text[], title text, ecosystem text, package_name text,
  package_version text, source_name text, location text, arch text, package_key text, fixed_version text, fix_state text,
  subject text, observed text, evidence text[], remediation text, severity text, cvss_score numeric, cvss jsonb, epss numeric,
  epss_percentile numeric, kev boolean, kev_due_date date, priority_score numeric, priority text, match text)`);

export const findingsRepo = {
  /** The findings (open or fixed) of the given installed packages. */
  byPackageKeys(tx: Tx, asset: FindingAsset, packageKeys: string[]) {
    if (packageKeys.length === 0) return Promise.resolve([]);
    return rows<ExistingFinding>(
      tx,
      sql`SELECT key, state, first_seen_at FROM vigil.findings
           WHERE asset_id = ${asset.id}::uuid AND package_key = ANY(SELECT jsonb_array_elements_text(${JSON.stringify(packageKeys)}::jsonb))`,
    );
  },

  /** The configuration findings (open or fixed) of the given check ids. */
  byChecks(tx: Tx, asset: FindingAsset, checkIds: string[]) {
    if (checkIds.length === 0) return Promise.resolve([]);
    return rows<ExistingFinding>(
      tx,
      sql`SELECT key, state, first_seen_at FROM vigil.findings
           WHERE asset_id = ${asset.id}::uuid AND kind = 'config' AND vuln_id = ANY(SELECT jsonb_array_elements_text(${JSON.stringify(checkIds)}::jsonb))`,
    );
  },

  /**
   * Writes the findings that hold now, in one statement: new ones open; open ones are refreshed
   * (last_seen_at, enrichment); fixed ones open again with reopened_at and reopen_count. A
   * person's triage is never touched here.
   */
  async upsert(tx: Tx, asset: FindingAsset, desired: DesiredFinding[]): Promise<void> {
    if (desired.length === 0) return;
    await tx.execute(sql`
      INSERT INTO vigil.findings AS f (org_id, client_id, asset_id, key, kind, vuln_id, aliases, title, ecosystem, package_name,
        package_version, source_name, location, arch, package_key, fixed_version, fix_state, subject, observed, evidence, remediation,
        severity, cvss_score, cvss, epss, epss_percentile, kev, kev_due_date, priority_score, priority, match)
      SELECT ${asset.orgId}::uuid, ${asset.clientId}::uuid, ${asset.id}::uuid, d.key, d.kind, d.vuln_id, coalesce(d.aliases, '{}'), d.title,
        d.ecosystem, d.package_name, d.package_version, d.source_name, d.location, d.arch, d.package_key, d.fixed_version, d.fix_state,
        d.subject, d.observed, coalesce(d.evidence, '{}'), d.remediation, d.severity, d.cvss_score, d.cvss, d.epss, d.epss_percentile,
        d.kev, d.kev_due_date, d.priority_score, d.priority, d.match
      FROM jsonb_to_recordset(${JSON.stringify(desired)}::jsonb) AS d ${RECORD}
      ON CONFLICT (asset_id, key) DO UPDATE SET
        client_id = EXCLUDED.client_id, vuln_id = EXCLUDED.vuln_id, aliases = EXCLUDED.aliases, title = EXCLUDED.title,
        ecosystem = EXCLUDED.ecosystem, package_name = EXCLUDED.package_name, package_version = EXCLUDED.package_version,
        source_name = EXCLUDED.source_name, location = EXCLUDED.location, arch = EXCLUDED.arch, package_key = EXCLUDED.package_key,
        fixed_version = EXCLUDED.fixed_version, fix_state = EXCLUDED.fix_state, subject = EXCLUDED.subject, observed = EXCLUDED.observed,
        evidence = EXCLUDED.evidence, remediation = EXCLUDED.remediation, severity = EXCLUDED.severity, cvss_score = EXCLUDED.cvss_score,
        cvss = EXCLUDED.cvss, epss = EXCLUDED.epss, epss_percentile = EXCLUDED.epss_percentile, kev = EXCLUDED.kev,
        kev_due_date = EXCLUDED.kev_due_date, priority_score = EXCLUDED.priority_score, priority = EXCLUDED.priority, match = EXCLUDED.match,
        state = 'open', last_seen_at = now(), fixed_at = NULL, updated_at = now(),
        reopened_at = CASE WHEN f.state = 'fixed' THEN now() ELSE f.reopened_at END,
        reopen_count = f.reopen_count + CASE WHEN f.state = 'fixed' THEN 1 ELSE 0 END`);
  },

  async fix(tx: Tx, asset: FindingAsset, keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    const fixed = await rows(
      tx,
      sql`UPDATE vigil.findings SET state = 'fixed', fixed_at = now(), updated_at = now()
           WHERE asset_id = ${asset.id}::uuid AND state = 'open' AND key = ANY(SELECT jsonb_array_elements_text(${JSON.stringify(keys)}::jsonb))
          RETURNING id`,
    );
    return fixed.length;
  },

  async openCount(tx: Tx, assetId: string): Promise<number> {
    const [row] = await rows<{ n: number | string }>(
      tx,
      sql`SELECT count(*) AS n FROM vigil.findings WHERE asset_id = ${assetId}::uuid AND state = 'open'`,
    );
    return Number(row?.n ?? 0);
  },
};

/**
 * Applies `desired` over `existing` (the findings of everything re-evaluated): desired ones are
 * upserted, existing open ones no longer desired become fixed. Returns what changed.
 */
export async function reconcileFindings(
  tx: Tx,
  asset: FindingAsset,
  existing: ExistingFinding[],
  desired: DesiredFinding[],
): Promise<FindingCounts> {
  const before = new Map(existing.map((f) => [f.key, f.state]));
  const wanted = new Set(desired.map((d) => d.key));
  let opened = 0;
  let reopened = 0;
  for (const d of desired) {
    const state = before.get(d.key);
    if (state === undefined) opened++;
    else if (state === 'fixed') reopened++;
  }
  await findingsRepo.upsert(tx, asset, desired);
  const gone = existing.filter((f) => f.state === 'open' && !wanted.has(f.key)).map((f) => f.key);
  const fixed = await findingsRepo.fix(tx, asset, gone);
  return { opened, fixed, reopened };
}
