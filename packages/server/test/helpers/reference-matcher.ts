import { comparatorFor, type InstalledPackage, type OsvRecord } from '@vigil/vulndb';

/**
 * A deliberately plain second implementation of matching, for reference finding sets: every
 * record against every package (no index), exact ecosystem strings, the OSV schema's own
 * evaluation pseudo-code (walk sorted events toggling "affected"), and alias folding by repeated
 * set merging. It shares only the version comparators with the product, which have their own
 * vector tests.
 */
export interface ReferenceGroup {
  package: string;
  version: string;
  /** The ids of every record folded into this finding. */
  recordIds: Set<string>;
}

const BY_SOURCE = new Set(['Debian', 'Ubuntu', 'Alpine']);

export function referenceFindings(packages: InstalledPackage[], osEcosystem: string | null, records: OsvRecord[]): ReferenceGroup[] {
  // Only records naming the package's exact ecosystem string can apply; grouping them first keeps
  // this every-record loop fast enough for 2,000-package inventories.
  const byEcosystem = new Map<string, OsvRecord[]>();
  for (const record of records) {
    for (const eco of new Set((record.affected ?? []).map((a) => a.package?.ecosystem ?? ''))) {
      const list = byEcosystem.get(eco) ?? [];
      list.push(record);
      byEcosystem.set(eco, list);
    }
  }
  const seen = new Set<string>();
  const out: ReferenceGroup[] = [];
  for (const pkg of packages) {
    const os = BY_SOURCE.has(pkg.ecosystem) || ['Red Hat', 'Rocky Linux', 'AlmaLinux'].includes(pkg.ecosystem);
    const ecosystem = os ? (osEcosystem as string) : pkg.ecosystem;
    const bySource = BY_SOURCE.has(pkg.ecosystem);
    const name = bySource ? (pkg.source?.name ?? pkg.name) : pkg.name;
    const version = bySource ? (pkg.source?.version ?? pkg.version) : pkg.version;
    const identity = `${ecosystem} ${pkg.name} ${pkg.version} ${name} ${version}`;
    if (seen.has(identity)) continue;
    seen.add(identity);
    const hits = (byEcosystem.get(ecosystem) ?? []).filter((record) => affects(record, ecosystem, name, version));
    for (const ids of fold(hits)) out.push({ package: pkg.name, version: pkg.version, recordIds: ids });
  }
  return out;
}

function sameName(ecosystem: string, a: string, b: string): boolean {
  if (ecosystem === 'PyPI') return a.toLowerCase().replace(/[-_.]+/g, '-') === b.toLowerCase().replace(/[-_.]+/g, '-');
  return a === b;
}

function affects(record: OsvRecord, ecosystem: string, name: string, version: string): boolean {
  if (record.withdrawn) return false;
  const cmp = comparatorFor(ecosystem);
  for (const affected of record.affected ?? []) {
    if (!affected.package || affected.package.ecosystem !== ecosystem || !sameName(ecosystem, affected.package.name, name)) continue;
    const informational = (affected.database_specific as { informational?: unknown } | undefined)?.informational;
    if (typeof informational === 'string' && informational !== '') continue;
    if ((affected.versions ?? []).some((v) => v === version || (cmp.isValid(v) && cmp.compare(v, version) === 0))) return true;
    for (const range of affected.ranges ?? []) {
      if (range.type === 'GIT') continue;
      const rangeCmp = range.type === 'SEMVER' && !['npm', 'crates.io', 'Go', 'Hex'].includes(ecosystem) ? comparatorFor('npm') : cmp;
      if (schemaEvaluation(range.events as Record<string, string>[], version, rangeCmp)) return true;
    }
  }
  return false;
}

/** The OSV schema's "Evaluation" pseudo-code, transcribed. */
function schemaEvaluation(events: Record<string, string>[], version: string, cmp: { compare(a: string, b: string): number }): boolean {
  const limits = events.filter((e) => 'limit' in e).map((e) => e.limit as string);
  if (limits.length > 0 && !limits.some((l) => l === '*' || cmp.compare(version, l) < 0)) return false;
  const value = (e: Record<string, string>) => Object.values(e)[0] as string;
  const sorted = events
    .filter((e) => !('limit' in e))
    .sort((a, b) => {
      const zeroA = 'introduced' in a && a.introduced === '0';
      const zeroB = 'introduced' in b && b.introduced === '0';
      if (zeroA || zeroB) return zeroA === zeroB ? 0 : zeroA ? -1 : 1;
      return cmp.compare(value(a), value(b));
    });
  let affected = false;
  for (const e of sorted) {
    if ('introduced' in e && (e.introduced === '0' || cmp.compare(version, e.introduced as string) >= 0)) affected = true;
    else if ('fixed' in e && cmp.compare(version, e.fixed as string) >= 0) affected = false;
    else if ('last_affected' in e && cmp.compare(version, e.last_affected as string) > 0) affected = false;
  }
  return affected;
}

function fold(hits: OsvRecord[]): Set<string>[] {
  const groups = hits.map((r) => ({ ids: new Set([r.id]), names: new Set([r.id, ...(r.aliases ?? [])]) }));
  let merged = true;
  while (merged) {
    merged = false;
    outer: for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        const a = groups[i] as (typeof groups)[number];
        const b = groups[j] as (typeof groups)[number];
        if ([...b.names].some((n) => a.names.has(n))) {
          for (const id of b.ids) a.ids.add(id);
          for (const n of b.names) a.names.add(n);
          groups.splice(j, 1);
          merged = true;
          break outer;
        }
      }
    }
  }
  return groups.map((g) => g.ids);
}
