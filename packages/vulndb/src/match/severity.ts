import type { OsvAffected, OsvRecord } from '../osv/model.ts';
import { cvssBaseScore } from './cvss.ts';

export const SEVERITIES = ['UNKNOWN', 'NEGLIGIBLE', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Cvss {
  version: string;
  score: number | null;
  vector: string;
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/**
 * The severity a finding carries, and the CVSS vector behind it.
 *
 * The vendor's own rating wins where the advisory carries one, because a distribution rates the
 * issue in its build (Ubuntu's priority, the Debian tracker's urgency, Red Hat's "Important:" in
 * AlmaLinux and Rocky summaries, GitHub's reviewed severity). Otherwise the CVSS base score
 * decides, by the rating scale of its version. Nothing known: UNKNOWN, never a guess.
 */
export function severityOf(record: OsvRecord, affected: OsvAffected): { severity: Severity; cvss: Cvss | null } {
  // One entry is met by many packages (every binary of a source): rate it once.
  let rated = RATED.get(affected);
  if (!rated) {
    rated = rate(record, affected);
    RATED.set(affected, rated);
  }
  return rated;
}

const RATED = new WeakMap<OsvAffected, { severity: Severity; cvss: Cvss | null }>();

function rate(record: OsvRecord, affected: OsvAffected): { severity: Severity; cvss: Cvss | null } {
  const cvss = bestCvss(collectVectors(record, affected));
  const vendor = vendorSeverity(record, affected);
  if (vendor) return { severity: vendor, cvss };
  if (cvss?.score != null) return { severity: ratingOf(cvss.version, cvss.score), cvss };
  return { severity: 'UNKNOWN', cvss };
}

const WORDS: Record<string, Severity> = {
  negligible: 'NEGLIGIBLE',
  unimportant: 'NEGLIGIBLE',
  low: 'LOW',
  moderate: 'MEDIUM',
  medium: 'MEDIUM',
  important: 'HIGH',
  high: 'HIGH',
  critical: 'CRITICAL',
};

function word(value: unknown): Severity | null {
  return typeof value === 'string' ? (WORDS[value.trim().toLowerCase()] ?? null) : null;
}

function asObject(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function max(a: Severity | null, b: Severity | null): Severity | null {
  if (a === null) return b;
  if (b === null) return a;
  return severityRank(a) >= severityRank(b) ? a : b;
}

function vendorSeverity(record: OsvRecord, affected: OsvAffected): Severity | null {
  const vigil = asObject(asObject(affected.database_specific)?.vigil);
  const fromFeed = word(vigil?.severity);
  if (fromFeed) return fromFeed;

  // Ubuntu: priority per CVE in cves_map, or a severity entry of type "Ubuntu".
  let ubuntu: Severity | null = null;
  for (const entry of [...(record.severity ?? []), ...(affected.severity ?? [])]) {
    if (entry.type.toLowerCase() === 'ubuntu') ubuntu = max(ubuntu, word(entry.score));
  }
  for (const cve of cvesMapEntries(affected)) {
    for (const entry of cve) if (entry.type.toLowerCase() === 'ubuntu') ubuntu = max(ubuntu, word(entry.score));
  }
  if (ubuntu) return ubuntu;

  const github = word(asObject(record.database_specific)?.severity);
  if (github) return github;

  // Red Hat and its rebuilds put the rating in the summary: "Important: libxml2 security update".
  const prefix = /^(Low|Moderate|Important|Critical):/.exec(record.summary ?? '');
  if (prefix && /^(RH[SBE]A|ALSA|RLSA|ALBA|ALEA|RXSA)-/.test(record.id)) return word(prefix[1]);
  return null;
}

interface SeverityEntry {
  type: string;
  score: string;
}

function cvesMapEntries(affected: OsvAffected): SeverityEntry[][] {
  const cves = asObject(asObject(affected.database_specific)?.cves_map)?.cves;
  if (!Array.isArray(cves)) return [];
  const out: SeverityEntry[][] = [];
  for (const cve of cves.slice(0, 1_000)) {
    const severity = asObject(cve)?.severity;
    if (!Array.isArray(severity)) continue;
    out.push(severity.filter((s): s is SeverityEntry => typeof asObject(s)?.type === 'string' && typeof asObject(s)?.score === 'string'));
  }
  return out;
}

function collectVectors(record: OsvRecord, affected: OsvAffected): string[] {
  const entries = [...(record.severity ?? []), ...(affected.severity ?? []), ...cvesMapEntries(affected).flat()];
  return entries.filter((e) => e.type.toUpperCase().startsWith('CVSS_')).map((e) => e.score.trim());
}

/**
 * The vector of the newest CVSS version present that can be scored, the highest-scoring one of
 * its kind. Scores are base scores (temporal or environmental metrics in a vector do not lower
 * them), and a vector missing base metrics is not scored rather than scored as 0.
 */
function bestCvss(vectors: string[]): Cvss | null {
  let best: Cvss | null = null;
  for (const vector of new Set(vectors)) {
    const version = /^CVSS:(\d\.\d)\//.exec(vector)?.[1] ?? (/^AV:[LAN]\/AC:/.test(vector) ? '2.0' : null);
    if (version !== '2.0' && version !== '3.0' && version !== '3.1' && version !== '4.0') continue;
    const scored = cvssBaseScore(vector, version);
    const candidate: Cvss = { version, score: 'score' in scored ? scored.score : null, vector };
    if (best === null || better(candidate, best)) best = candidate;
  }
  return best;
}

function better(a: Cvss, b: Cvss): boolean {
  if ((a.score === null) !== (b.score === null)) return a.score !== null;
  if (a.version !== b.version) return a.version > b.version;
  return (a.score ?? -1) > (b.score ?? -1);
}

/** FIRST's qualitative rating scales (CVSS 3.x and 4.0 share one; 2.0 has no CRITICAL). */
export function ratingOf(version: string, score: number): Severity {
  if (version.startsWith('2')) return score >= 7 ? 'HIGH' : score >= 4 ? 'MEDIUM' : 'LOW';
  if (score >= 9) return 'CRITICAL';
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MEDIUM';
  if (score > 0) return 'LOW';
  return 'NEGLIGIBLE';
}
