import { createHash } from 'node:crypto';
import {
  applicableKeys,
  DEFAULT_SLA_DAYS,
  type EnrichedFinding,
  enrichFindings,
  type InstalledPackage,
  isOsEcosystem,
  matchPackages,
  normaliseName,
  priorityOf,
} from '@vigil/vulndb';
import type { Tx } from '../../db/database.ts';
import { loadAdvisoryIndex } from '../intel/advisory-store.repo.ts';
import { loadEnrichment } from '../intel/enrichment.repo.ts';
import { type DesiredFinding, type FindingAsset, type FindingCounts, findingsRepo, reconcileFindings } from './findings.repo.ts';
import { sessionOf } from './tx-session.ts';

/** An installed package as asset_packages holds it: no arch or location is ''. */
export interface StoredPackage {
  ecosystem: string;
  name: string;
  arch: string;
  location: string;
  version: string;
  sourceName: string | null;
  sourceVersion: string | null;
  epochKnown: boolean | null;
  dev: boolean;
}

/** The identity of an installed package: the same name for two architectures or in two lockfiles is two packages. */
export function packageKeyOf(p: Pick<StoredPackage, 'ecosystem' | 'name' | 'arch' | 'location'>): string {
  return JSON.stringify([p.ecosystem, p.name, p.arch, p.location]);
}

/** A finding's stable key: the package identity (hashed, to stay short) and the vulnerability. */
export function packageFindingKey(packageKey: string, vulnId: string): string {
  return `pkg:${createHash('sha256').update(packageKey).digest('hex').slice(0, 32)}:${vulnId}`;
}

const toInstalled = (p: StoredPackage): InstalledPackage => ({
  ecosystem: p.ecosystem,
  name: p.name,
  version: p.version,
  ...(p.sourceName ? { source: { name: p.sourceName, version: p.sourceVersion ?? p.version } } : {}),
  ...(p.arch ? { arch: p.arch } : {}),
  ...(p.epochKnown !== null ? { epochKnown: p.epochKnown } : {}),
  ...(p.location ? { location: p.location } : {}),
});

export interface PackageEvaluation {
  counts: FindingCounts;
  /** OS packages left unmatched because the system's release is unknown. */
  unmatchedOsPackages: number;
}

/**
 * Re-evaluates the findings of the given packages completely: each package is matched against
 * every live advisory naming it, and its findings become exactly that set (new ones open, fixed
 * ones reopen, ones that no longer apply are fixed). `removed` packages' open findings are fixed.
 * Packages not named are not touched: this is what keeps a one-package change cheap.
 */
export async function evaluatePackages(
  tx: Tx,
  asset: FindingAsset,
  osEcosystem: string | null,
  packages: readonly StoredPackage[],
  removed: readonly string[],
  today: string,
): Promise<PackageEvaluation> {
  const matchable = packages.filter((p) => osEcosystem !== null || !isOsEcosystem(p.ecosystem));
  const desired = await desiredFindings(tx, osEcosystem, matchable, today);
  // Unmatchable OS packages (release unknown) keep their findings as they were: not knowing the
  // release is no evidence that a vulnerability went away.
  const keys = [...matchable.map(packageKeyOf), ...removed];
  const existing = await findingsRepo.byPackageKeys(tx, asset, keys);
  const firstSeen = new Map(existing.map((f) => [f.key, new Date(f.first_seen_at).toISOString().slice(0, 10)]));
  // The SLA clock runs from when the finding was first seen, not from this evaluation.
  for (const d of desired) {
    const since = firstSeen.get(d.key);
    if (since && since !== today) Object.assign(d, priorityFields(d, since));
  }
  const counts = await reconcileFindings(tx, asset, existing, desired);
  return { counts, unmatchedOsPackages: packages.length - matchable.length };
}

async function desiredFindings(
  tx: Tx,
  osEcosystem: string | null,
  packages: readonly StoredPackage[],
  today: string,
): Promise<DesiredFinding[]> {
  if (packages.length === 0) return [];
  const session = sessionOf(tx);
  const ecosystems = new Set<string>();
  const names = new Set<string>();
  for (const p of packages) {
    const ecosystem = isOsEcosystem(p.ecosystem) ? (osEcosystem as string) : p.ecosystem;
    for (const key of applicableKeys(ecosystem)) ecosystems.add(key);
    names.add(normaliseName(ecosystem, p.name));
    if (p.sourceName) names.add(normaliseName(ecosystem, p.sourceName));
  }
  const { index } = await loadAdvisoryIndex(session, { ecosystems: [...ecosystems], names: [...names] });
  const matched = matchPackages(packages.map(toInstalled), index, { osEcosystem });
  if (matched.findings.length === 0) return [];
  const known = await loadEnrichment(
    session,
    matched.findings.flatMap((f) => [f.id, ...f.aliases]),
  );
  // The matcher folds equal (name, version) packages into one finding; each installed package
  // (architecture, lockfile) gets its own row.
  const byNameVersion = new Map<string, StoredPackage[]>();
  for (const p of packages) {
    const k = `${p.name}\u0000${p.version}`;
    byNameVersion.set(k, [...(byNameVersion.get(k) ?? []), p]);
  }
  const desired = new Map<string, DesiredFinding>();
  for (const f of enrichFindings(matched.findings, known)) {
    for (const p of byNameVersion.get(`${f.package}\u0000${f.version}`) ?? []) {
      const packageKey = packageKeyOf(p);
      const key = packageFindingKey(packageKey, f.id);
      desired.set(key, toDesired(f, p, packageKey, key, today));
    }
  }
  return [...desired.values()];
}

function priorityFields(d: Pick<DesiredFinding, 'severity' | 'kev_due_date' | 'epss'>, foundOn: string) {
  const p = priorityOf(
    { severity: d.severity as EnrichedFinding['severity'], kevDueDate: d.kev_due_date, epss: d.epss, foundOn },
    DEFAULT_SLA_DAYS,
  );
  return { priority: p.label, priority_score: p.rank };
}

function toDesired(f: EnrichedFinding, p: StoredPackage, packageKey: string, key: string, today: string): DesiredFinding {
  const base = {
    key,
    kind: 'package' as const,
    vuln_id: f.id.slice(0, 200),
    aliases: f.aliases,
    title: [...f.summary].slice(0, 500).join(''),
    ecosystem: f.ecosystem,
    package_name: p.name,
    package_version: p.version,
    source_name: f.sourcePackage,
    location: p.location || null,
    arch: p.arch || null,
    package_key: packageKey,
    fixed_version: f.fixedVersion,
    fix_state: f.fixState,
    subject: null,
    observed: null,
    evidence: [],
    remediation: null,
    severity: f.severity,
    cvss_score: f.cvss?.score ?? null,
    cvss: f.cvss,
    epss: f.epss?.score ?? null,
    epss_percentile: f.epss?.percentile ?? null,
    kev: f.kev !== null,
    kev_due_date: f.kev?.dueDate ?? null,
    match: f.match,
  };
  return { ...base, ...priorityFields(base, today) };
}
