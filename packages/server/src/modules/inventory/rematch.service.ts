import { sql } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { type TenantContext, withSystem, withTenant } from '../../db/tenant.ts';
import { rows } from '../agents/enrollment.repo.ts';
import type { FindingCounts } from './findings.repo.ts';
import { evaluatePackages, type StoredPackage } from './package-findings.ts';

export interface RematchReport {
  names: number;
  assets: number;
  packages: number;
  findings: FindingCounts;
}

/** Names compared loosely (case, and runs of - _ . as PEP 503 folds them): a superset the matcher then decides exactly. */
const FOLD = (column: string) => sql.raw(`lower(regexp_replace(${column}, '[-_.]+', '-', 'g'))`);

/**
 * After an advisory import: the package names its added, modified and withdrawn advisories name
 * (now, from advisory_packages, and before, from the change log's previous records).
 */
async function namesChangedBy(database: Database, importId: number): Promise<string[]> {
  const { rows: found } = await database.query<{ name: string }>(
    `SELECT p.name FROM vigil.feed_changes c
       JOIN vigil.feed_imports i ON i.id = c.import_id
       JOIN vigil.advisory_packages p ON p.feed = i.feed AND p.advisory_id = c.record_id
      WHERE c.import_id = $1
     UNION
     SELECT a.value->'package'->>'name' FROM vigil.feed_changes c
       CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(c.previous->'affected') = 'array' THEN c.previous->'affected' ELSE '[]'::jsonb END) a
      WHERE c.import_id = $1 AND a.value->'package'->>'name' IS NOT NULL`,
    [importId],
  );
  return found.map((r) => r.name);
}

/**
 * Matches again, after a feed import, exactly the installed packages its changed advisories name,
 * on every server that has them, without waiting for a new inventory: a new advisory opens
 * findings, a narrowed one fixes them. A withdrawn advisory's findings become fixed (state
 * `fixed`, fixed_at now): the publisher no longer says the package is affected, and the history
 * (first seen, triage) stays for the record instead of disappearing.
 *
 * The system scope sees no tenant rows: organizations are listed there, then each is worked on in
 * its own scope, one transaction per organization.
 */
export async function rematchAfterImport(
  database: Database,
  importId: number,
  today = new Date().toISOString().slice(0, 10),
): Promise<RematchReport> {
  const names = await namesChangedBy(database, importId);
  const report: RematchReport = { names: names.length, assets: 0, packages: 0, findings: { opened: 0, fixed: 0, reopened: 0 } };
  if (names.length === 0) return report;
  const orgs = await withSystem(database.db, (tx) => rows<{ id: string }>(tx, sql`SELECT id FROM vigil.organizations ORDER BY id`));
  const wanted = JSON.stringify(names);
  for (const org of orgs) {
    const ctx: TenantContext = { orgId: org.id, userId: null, role: 'VIEWER', clientIds: 'all' };
    await withTenant(database.db, ctx, async (tx) => {
      // Lock the affected servers first (in id order, as ingest locks its one server), so an
      // inventory arriving meanwhile cannot remove or change a package between this read and the
      // findings written from it: a removed package's finding reopened for good, or a downgraded
      // one's marked fixed.
      await tx.execute(
        sql`WITH wanted AS (SELECT DISTINCT ${FOLD('n')} AS folded FROM jsonb_array_elements_text(${wanted}::jsonb) AS w(n))
            SELECT a.id FROM vigil.assets a
             WHERE a.org_id = ${org.id}::uuid
               AND a.id IN (SELECT ap.asset_id FROM vigil.asset_packages ap
                             WHERE ap.org_id = ${org.id}::uuid
                               AND (${FOLD('ap.name')} IN (SELECT folded FROM wanted) OR ${FOLD('ap.source_name')} IN (SELECT folded FROM wanted)))
             ORDER BY a.id FOR UPDATE OF a`,
      );
      const found = await rows<StoredPackage & { assetId: string; clientId: string | null; osEcosystem: string | null }>(
        tx,
        sql`WITH wanted AS (SELECT DISTINCT ${FOLD('n')} AS folded FROM jsonb_array_elements_text(${wanted}::jsonb) AS w(n))
            SELECT ap.asset_id AS "assetId", a.client_id AS "clientId", a.os->>'ecosystem' AS "osEcosystem",
                   ap.ecosystem, ap.name, ap.arch, ap.location, ap.version, ap.source_name AS "sourceName",
                   ap.source_version AS "sourceVersion", ap.epoch_known AS "epochKnown", ap.dev
              FROM vigil.asset_packages ap JOIN vigil.assets a ON a.id = ap.asset_id
             WHERE ap.org_id = ${org.id}::uuid
               AND (${FOLD('ap.name')} IN (SELECT folded FROM wanted) OR ${FOLD('ap.source_name')} IN (SELECT folded FROM wanted))
             ORDER BY ap.asset_id`,
      );
      const byAsset = new Map<string, typeof found>();
      for (const row of found) byAsset.set(row.assetId, [...(byAsset.get(row.assetId) ?? []), row]);
      for (const [assetId, packages] of byAsset) {
        const first = packages[0] as (typeof found)[number];
        const asset = { id: assetId, orgId: org.id, clientId: first.clientId };
        const stored: StoredPackage[] = packages.map(({ assetId: _a, clientId: _c, osEcosystem: _o, ...p }) => p);
        const result = await evaluatePackages(tx, asset, first.osEcosystem, stored, [], today);
        report.assets++;
        report.packages += stored.length;
        report.findings.opened += result.counts.opened;
        report.findings.fixed += result.counts.fixed;
        report.findings.reopened += result.counts.reopened;
      }
    });
  }
  return report;
}
