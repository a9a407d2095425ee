import type { Finding } from './finding.ts';
import { type Cvss, ratingOf } from './severity.ts';

/** A CISA KEV entry, as a finding carries it. */
export interface KevFacts {
  cve: string;
  dateAdded: string;
  dueDate: string;
  ransomware: 'Known' | 'Unknown';
}

/** A FIRST EPSS score, as a finding carries it. */
export interface EpssFacts {
  cve: string;
  score: number;
  percentile: number;
}

/** Where enrichment comes from (the feed store, or feed files): lookups by CVE id. */
export interface EnrichmentSources {
  kev(cve: string): KevFacts | undefined;
  epss(cve: string): EpssFacts | undefined;
  /** NVD's preferred CVSS for the CVE, used when the advisory itself carries none. */
  cvss(cve: string): Cvss | undefined;
}

export interface EnrichedFinding extends Finding {
  kev: KevFacts | null;
  epss: EpssFacts | null;
}

/**
 * Adds exploitation and likelihood to findings, by the CVE ids each finding is known by (its id
 * and aliases, folded already). A finding naming several CVEs (a USN fixing three) takes the most
 * urgent of them: the earliest KEV due date, the highest EPSS score, the highest NVD CVSS score.
 * NVD's CVSS fills in only where the advisory has none, and then also rates a finding whose
 * severity was UNKNOWN; a vendor's rating is never overridden.
 */
export function enrichFindings(findings: readonly Finding[], sources: EnrichmentSources): EnrichedFinding[] {
  return findings.map((finding) => {
    const cves = [finding.id, ...finding.aliases].filter((id) => id.startsWith('CVE-'));
    let kev: KevFacts | null = null;
    let epss: EpssFacts | null = null;
    let nvd: Cvss | null = null;
    for (const cve of cves) {
      const k = sources.kev(cve);
      if (k && (kev === null || k.dueDate < kev.dueDate)) kev = k;
      const e = sources.epss(cve);
      if (e && (epss === null || e.score > epss.score)) epss = e;
      const c = sources.cvss(cve);
      if (c?.score != null && (nvd === null || c.score > (nvd.score ?? -1))) nvd = c;
    }
    const enriched: EnrichedFinding = { ...finding, kev, epss };
    if (finding.cvss === null && nvd !== null) {
      enriched.cvss = nvd;
      if (finding.severity === 'UNKNOWN' && nvd.score !== null) enriched.severity = ratingOf(nvd.version, nvd.score);
    }
    return enriched;
  });
}
