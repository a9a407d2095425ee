import type { OsvRecord } from '../osv/model.ts';
import { comparatorFor } from '../versions/registry.ts';
import { isOsEcosystem } from './ecosystems.ts';
import type { Finding, FixState } from './finding.ts';
import { type Cvss, type Severity, severityRank } from './severity.ts';

/** One advisory record found to affect one installed package, before folding. */
export interface Hit {
  record: OsvRecord;
  ecosystem: string;
  package: string;
  sourcePackage: string | null;
  version: string;
  fixedVersion: string | null;
  fixState: FixState;
  severity: Severity;
  cvss: Cvss | null;
  match: string;
}

/**
 * Folds the hits on one installed package into one finding per vulnerability. Records fold when
 * their ids and `aliases` overlap, transitively (GHSA-x aliases CVE-y, PYSEC-z aliases CVE-y: one
 * finding). `related` and `upstream` do not fold: a USN that fixes three CVEs is related to each,
 * not the same vulnerability as any (OSV schema). The folded finding takes the most specific id
 * as its own, the highest fixed version (the one that fixes every source's view), and the worst
 * severity.
 */
export function foldHits(hits: Hit[]): Omit<Finding, 'locations'>[] {
  if (hits.length === 0) return [];
  const parent = hits.map((_, i) => i);
  const find = (i: number): number => {
    let root = i;
    while (parent[root] !== root) root = parent[root] as number;
    parent[i] = root;
    return root;
  };
  const owner = new Map<string, number>();
  hits.forEach((hit, i) => {
    for (const id of [hit.record.id, ...(hit.record.aliases ?? [])]) {
      const seen = owner.get(id);
      if (seen === undefined) owner.set(id, i);
      else parent[find(i)] = find(seen);
    }
  });
  const groups = new Map<number, Hit[]>();
  hits.forEach((hit, i) => {
    const root = find(i);
    const group = groups.get(root);
    if (group) group.push(hit);
    else groups.set(root, [hit]);
  });
  return [...groups.values()].map(foldGroup);
}

function foldGroup(group: Hit[]): Omit<Finding, 'locations'> {
  const ordered = [...group].sort((a, b) => idPreference(a.record.id, b.record.id));
  const primary = ordered[0] as Hit;
  const recordIds = new Set<string>();
  for (const hit of group) {
    recordIds.add(hit.record.id);
    for (const alias of hit.record.aliases ?? []) recordIds.add(alias);
  }
  const ids = new Set(recordIds);
  for (const hit of group) for (const cve of namedCves(hit.record, isOsEcosystem(hit.ecosystem))) ids.add(cve);
  ids.delete(primary.record.id);

  const cmp = comparatorFor(primary.ecosystem);
  let fixedVersion: string | null = null;
  for (const hit of group) {
    if (hit.fixedVersion === null) continue;
    if (fixedVersion === null || safeCompare(cmp.compare.bind(cmp), hit.fixedVersion, fixedVersion) > 0) fixedVersion = hit.fixedVersion;
  }
  const worst = group.reduce((a, b) => (severityRank(b.severity) > severityRank(a.severity) ? b : a));
  return {
    ecosystem: primary.ecosystem,
    package: primary.package,
    sourcePackage: primary.sourcePackage,
    version: primary.version,
    id: primary.record.id,
    aliases: [...ids].sort(),
    recordIds: [...recordIds].sort(),
    fixedVersion,
    fixState: foldFixState(group),
    severity: worst.severity,
    cvss: primary.cvss ?? group.find((h) => h.cvss)?.cvss ?? null,
    summary: summaryOf(primary.record),
    match: primary.match,
  };
}

/** A vendor or ecosystem advisory id (USN, GHSA, PYSEC…) reads better than the bare CVE. */
function idPreference(a: string, b: string): number {
  const cveA = a.startsWith('CVE-') ? 1 : 0;
  const cveB = b.startsWith('CVE-') ? 1 : 0;
  return cveA - cveB || (a < b ? -1 : a > b ? 1 : 0);
}

/** Any source knowing a fix means a fix exists; otherwise the most definite vendor statement. */
function foldFixState(group: Hit[]): FixState {
  const states = new Set(group.map((h) => h.fixState));
  for (const state of ['fixed', 'wont_fix', 'not_fixed'] as const) if (states.has(state)) return state;
  return 'unknown';
}

/**
 * CVE ids a record names besides its aliases: Ubuntu's `upstream` (`UBUNTU-CVE-2021-3156`), and
 * for distribution advisories `related` (AlmaLinux and Rocky list the CVEs an erratum fixes
 * there). They are listed so a user can search for them; they never fold records together.
 */
function namedCves(record: OsvRecord, distribution: boolean): string[] {
  const out: string[] = [];
  for (const id of record.upstream ?? []) {
    const at = id.indexOf('CVE-');
    if (at >= 0) out.push(id.slice(at));
  }
  if (distribution) for (const id of record.related ?? []) if (id.startsWith('CVE-')) out.push(id);
  return out;
}

function summaryOf(record: OsvRecord): string {
  const text = record.summary?.trim() || record.details?.trim().split('\n')[0] || '';
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

function safeCompare(compare: (a: string, b: string) => number, a: string, b: string): number {
  try {
    return compare(a, b);
  } catch {
    return 0;
  }
}
