import type { SqlSession } from '../../src/db/migrate.ts';

/**
 * A digest of each intelligence table's content, leaving out what differs between two runs that
 * imported the same data (import ids, which a rolled-back import consumes, and times).
 */
const TABLES: Record<string, string> = {
  feeds: `SELECT concat_ws('|', name, kind, source, source_sha256, record_count, edition, released_at) AS row FROM vigil.feeds`,
  feed_imports: `SELECT concat_ws('|', feed, source, source_sha256, records, added, modified, withdrawn, problems, problem_samples::text) AS row
    FROM vigil.feed_imports`,
  feed_changes: `SELECT concat_ws('|', i.feed, i.source_sha256, c.record_id, c.change, c.previous::text) AS row
    FROM vigil.feed_changes c JOIN vigil.feed_imports i ON i.id = c.import_id`,
  advisories: `SELECT concat_ws('|', feed, id, modified, withdrawn, aliases::text, record::text, record_sha256, origin) AS row FROM vigil.advisories`,
  advisory_packages: `SELECT concat_ws('|', ecosystem, name, feed, advisory_id) AS row FROM vigil.advisory_packages`,
  kev_entries: `SELECT concat_ws('|', cve_id, vendor_project, product, vulnerability_name, date_added, due_date, known_ransomware,
    short_description, required_action, notes, cwes::text, record_sha256) AS row FROM vigil.kev_entries`,
  epss_scores: `SELECT concat_ws('|', cve_id, epss, percentile) AS row FROM vigil.epss_scores`,
  nvd_cves: `SELECT concat_ws('|', cve_id, published, last_modified, vuln_status, description, cvss::text, cwes::text,
    configurations::text, record_sha256) AS row FROM vigil.nvd_cves`,
};

export async function intelDigest(session: SqlSession): Promise<Record<string, string>> {
  const digest: Record<string, string> = {};
  for (const [table, select] of Object.entries(TABLES)) {
    const { rows } = await session.query<{ digest: string; count: string }>(
      `SELECT md5(coalesce(string_agg(t.row, E'\\n' ORDER BY t.row COLLATE "C"), '')) AS digest, count(*) AS count FROM (${select}) t`,
    );
    digest[table] = `${rows[0]?.count}:${rows[0]?.digest}`;
  }
  return digest;
}
