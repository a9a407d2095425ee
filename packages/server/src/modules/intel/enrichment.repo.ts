import { type Cvss, type EnrichmentSources, type EpssFacts, type KevFacts, type NvdCvss, preferredCvss } from '@vigil/vulndb';
import type { SqlSession } from '../../db/migrate.ts';

export interface StoredEnrichment extends EnrichmentSources {
  /** How many of the CVEs asked about each table knows. */
  counts: { kev: number; epss: number; nvd: number };
}

/** CVE ids bound per query: arrays this long stay well inside any protocol or planner limit. */
const CHUNK = 5_000;
const CVE_ID = /^CVE-\d{4}-\d{4,}$/;

/**
 * KEV entries, EPSS scores and NVD's preferred CVSS for the CVEs given, read in a few batched
 * queries and served from memory as the enrichment lookups. Anything not stored is simply absent.
 */
export async function loadEnrichment(session: SqlSession, cveIds: Iterable<string>): Promise<StoredEnrichment> {
  const ids = [...new Set([...cveIds].filter((id) => CVE_ID.test(id)))];
  const kev = new Map<string, KevFacts>();
  const epss = new Map<string, EpssFacts>();
  const cvss = new Map<string, Cvss>();
  for (let start = 0; start < ids.length; start += CHUNK) {
    const chunk = ids.slice(start, start + CHUNK);
    // Dates as text: a `date` read into a JS Date shifts by the client's time zone.
    const kevRows = await session.query<{ cve_id: string; date_added: string; due_date: string; known_ransomware: string }>(
      `SELECT cve_id, to_char(date_added, 'YYYY-MM-DD') AS date_added, to_char(due_date, 'YYYY-MM-DD') AS due_date, known_ransomware
         FROM vigil.kev_entries WHERE cve_id = ANY($1::text[])`,
      [chunk],
    );
    for (const row of kevRows.rows) {
      kev.set(row.cve_id, {
        cve: row.cve_id,
        dateAdded: row.date_added,
        dueDate: row.due_date,
        ransomware: row.known_ransomware === 'Known' ? 'Known' : 'Unknown',
      });
    }
    const epssRows = await session.query<{ cve_id: string; epss: number | string; percentile: number | string }>(
      'SELECT cve_id, epss::float8 AS epss, percentile::float8 AS percentile FROM vigil.epss_scores WHERE cve_id = ANY($1::text[])',
      [chunk],
    );
    for (const row of epssRows.rows) epss.set(row.cve_id, { cve: row.cve_id, score: Number(row.epss), percentile: Number(row.percentile) });
    const nvdRows = await session.query<{ cve_id: string; cvss: NvdCvss[] | null }>(
      'SELECT cve_id, cvss FROM vigil.nvd_cves WHERE cve_id = ANY($1::text[])',
      [chunk],
    );
    for (const row of nvdRows.rows) {
      const preferred = Array.isArray(row.cvss) ? preferredCvss({ cvss: row.cvss }) : null;
      if (preferred) cvss.set(row.cve_id, { version: preferred.version, score: preferred.score, vector: preferred.vector });
    }
  }
  return {
    kev: (cve) => kev.get(cve),
    epss: (cve) => epss.get(cve),
    cvss: (cve) => cvss.get(cve),
    counts: { kev: kev.size, epss: epss.size, nvd: cvss.size },
  };
}
