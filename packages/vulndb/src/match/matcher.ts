import type { InstalledPackage } from '../inventory/model.ts';
import type { OsvAffected } from '../osv/model.ts';
import { evaluateRange, type Range } from '../osv/ranges.ts';
import { InvalidVersionError, type VersionComparator } from '../versions/comparator.ts';
import { comparatorFor } from '../versions/registry.ts';
import { semverComparator } from '../versions/semver.ts';
import type { AdvisoryIndex, IndexedAffected } from './advisory-index.ts';
import { applicableKeys, baseOf, isOsEcosystem, normaliseName } from './ecosystems.ts';
import type { Finding, FindingLocation, FixState } from './finding.ts';
import { foldHits, type Hit } from './fold.ts';
import { severityOf } from './severity.ts';

export interface MatchOptions {
  /**
   * The OSV ecosystem with release of the system the OS packages come from ('Ubuntu:18.04:LTS',
   * 'Debian:12', 'Alpine:v3.16'). Required when any package is an OS package.
   */
  osEcosystem?: string | null;
  /** The inventory's path, for finding locations. */
  origin?: string;
}

export interface MatchResult {
  findings: Finding[];
  warnings: string[];
}

/** Distributions whose advisories name the source package (dpkg `Source:`, apk origin). */
const BY_SOURCE = new Set(['debian', 'ubuntu', 'alpine']);

export class MissingReleaseError extends Error {
  constructor(readonly ecosystem: string) {
    super(`${ecosystem} packages need the distribution release to be matched (pass --distro, or scan the root filesystem)`);
    this.name = 'MissingReleaseError';
  }
}

/**
 * Matches installed packages against the index: exact ecosystem (and release), exact normalised
 * name, and the ecosystem's own version order. One finding per (package, version, vulnerability
 * after alias folding); the same package found twice (two lockfiles, two paths) is one finding
 * with both locations.
 */
export function matchPackages(packages: readonly InstalledPackage[], index: AdvisoryIndex, options: MatchOptions = {}): MatchResult {
  const warnings: string[] = [];
  const groups = new Map<string, { pkg: InstalledPackage; ecosystem: string; locations: FindingLocation[] }>();
  for (const pkg of packages) {
    let ecosystem = pkg.ecosystem;
    if (isOsEcosystem(pkg.ecosystem)) {
      if (!options.osEcosystem) throw new MissingReleaseError(pkg.ecosystem);
      ecosystem = options.osEcosystem;
    }
    const key = [ecosystem, pkg.name, pkg.version, pkg.source?.name ?? '', pkg.source?.version ?? ''].join('\u0000');
    const location: FindingLocation = { path: options.origin ?? '' };
    if (pkg.location) location.detail = pkg.location;
    const group = groups.get(key);
    if (group) group.locations.push(location);
    else groups.set(key, { pkg, ecosystem, locations: [location] });
  }

  const findings: Finding[] = [];
  const contexts = new Map<string, EcosystemContext | null>();
  for (const { pkg, ecosystem, locations } of groups.values()) {
    let context = contexts.get(ecosystem);
    if (context === undefined) {
      context = contextFor(ecosystem);
      contexts.set(ecosystem, context);
    }
    if (context === null) {
      warnings.push(`${pkg.name} ${pkg.version}: no version order is known for ecosystem ${JSON.stringify(ecosystem)}, not matched`);
      continue;
    }
    const hits = matchOne(pkg, context, index, warnings);
    for (const finding of foldHits(hits)) findings.push({ ...finding, locations });
  }
  findings.sort(compareFindings);
  return { findings, warnings };
}

export function compareFindings(a: Finding, b: Finding): number {
  return (
    a.ecosystem.localeCompare(b.ecosystem) ||
    a.package.localeCompare(b.package) ||
    a.version.localeCompare(b.version) ||
    a.id.localeCompare(b.id)
  );
}

/** What matching needs to know about one ecosystem, worked out once per inventory. */
interface EcosystemContext {
  ecosystem: string;
  cmp: VersionComparator;
  keys: string[];
  bySource: boolean;
}

function contextFor(ecosystem: string): EcosystemContext | null {
  try {
    return { ecosystem, cmp: comparatorFor(ecosystem), keys: applicableKeys(ecosystem), bySource: BY_SOURCE.has(baseOf(ecosystem)) };
  } catch {
    return null;
  }
}

function matchOne(pkg: InstalledPackage, context: EcosystemContext, index: AdvisoryIndex, warnings: string[]): Hit[] {
  const { ecosystem, cmp, keys, bySource } = context;
  const lookupName = bySource ? (pkg.source?.name ?? pkg.name) : pkg.name;
  const version = bySource ? (pkg.source?.version ?? pkg.version) : pkg.version;
  if (!cmp.isValid(version)) {
    warnings.push(`${pkg.name} ${version}: not a valid ${ecosystem} version, not matched`);
    return [];
  }
  const unknownEpoch = pkg.epochKnown === false;
  const hits: Hit[] = [];
  const name = normaliseName(ecosystem, lookupName);
  for (const key of keys) {
    for (const entry of index.lookup(key, name)) {
      try {
        const warn = (error: InvalidVersionError) =>
          warnings.push(`${entry.origin} (${entry.record.id}): ${error.message}; that range was not evaluated for ${pkg.name} ${version}`);
        const hit = evaluateEntry(entry, version, cmp, unknownEpoch, warn);
        if (!hit) continue;
        const notes: string[] = [];
        if (bySource && (lookupName !== pkg.name || version !== pkg.version)) {
          notes.push(`installed ${pkg.name} ${pkg.version} is built from ${lookupName} ${version}`);
        }
        if (unknownEpoch) notes.push(hit.epochNote);
        hits.push({
          record: entry.record,
          ecosystem,
          package: pkg.name,
          sourcePackage: bySource ? lookupName : null,
          version: pkg.version,
          fixedVersion: hit.fixed,
          fixState: hit.fixState,
          ...severityOf(entry.record, entry.affected),
          match: `${entry.record.id} ${entry.affected.package?.ecosystem} ${entry.affected.package?.name}: ${hit.explanation}${notes.length ? ` (${notes.join('; ')})` : ''}`,
        });
      } catch (error) {
        if (!(error instanceof InvalidVersionError)) throw error;
        warnings.push(`${entry.origin} (${entry.record.id}): ${error.message}; this entry was not evaluated for ${pkg.name} ${version}`);
      }
    }
  }
  return hits;
}

interface EntryVerdict {
  explanation: string;
  fixed: string | null;
  fixState: FixState;
  epochNote: string;
}

/** Evaluates one affected entry: its ECOSYSTEM/SEMVER ranges, then its `versions` list. */
function evaluateEntry(
  entry: IndexedAffected,
  version: string,
  ecosystemCmp: VersionComparator,
  unknownEpoch: boolean,
  warn: (error: InvalidVersionError) => void,
): EntryVerdict | null {
  const { affected } = entry;
  const vendorState = vendorFixState(affected);
  const epochs = new Set<string>();
  const listCmp = unknownEpoch ? assumingAdvisoryEpoch(ecosystemCmp, version, epochs) : ecosystemCmp;
  for (const range of affected.ranges ?? []) {
    if (range.type === 'GIT') continue;
    let cmp = range.type === 'SEMVER' && !isSemverFamily(ecosystemCmp) ? semverComparator : ecosystemCmp;
    if (unknownEpoch) cmp = assumingAdvisoryEpoch(cmp, version, epochs);
    let verdict: ReturnType<typeof evaluateRange>;
    try {
      verdict = evaluateRange(range as Range, version, cmp);
    } catch (error) {
      // One unreadable range: reported, and the entry's other ranges and versions list still count.
      if (!(error instanceof InvalidVersionError)) throw error;
      warn(error);
      continue;
    }
    if (!verdict.affected) continue;
    // No fix event at all means the advisory knows of no fixed version; `last_affected` only says
    // where the known damage stops, not that a fix exists.
    const fixState: FixState = verdict.fixed ? 'fixed' : (vendorState ?? (verdict.bound === 'open' ? 'not_fixed' : 'unknown'));
    return { explanation: verdict.explanation, fixed: verdict.fixed, fixState, epochNote: epochNote(epochs) };
  }
  const listed = listedVersion(affected, version, listCmp);
  if (listed !== null) {
    return {
      explanation: `listed among affected versions (${listed === version ? version : `${listed} = ${version}`})`,
      fixed: null,
      fixState: vendorState ?? 'unknown',
      epochNote: epochNote(epochs),
    };
  }
  return null;
}

function isSemverFamily(cmp: VersionComparator): boolean {
  return cmp.ecosystems.includes('npm') || cmp.ecosystems.includes('Go');
}

function vendorFixState(affected: OsvAffected): FixState | null {
  const vigil = (affected.database_specific as { vigil?: { fix_state?: unknown } } | undefined)?.vigil;
  const state = vigil?.fix_state;
  return state === 'not_fixed' || state === 'wont_fix' || state === 'unknown' ? state : null;
}

function listedVersion(affected: OsvAffected, version: string, cmp: VersionComparator): string | null {
  const versions = affected.versions ?? [];
  if (versions.includes(version)) return version;
  for (const listed of versions) {
    // Equal under the ecosystem's order (PEP 440 `1.0` = `1.0.0`); unreadable entries never match.
    if (cmp.isValid(listed) && cmp.compare(listed, version) === 0) return listed;
  }
  return null;
}

const EPOCH = /^(\d+):/;

/**
 * Plain `rpm -qa` prints no epoch. Comparing such a version as epoch 0 against an advisory's
 * `1:2.06-…` would call every grub2 vulnerable, so the installed version takes the epoch of
 * whatever advisory version it is compared with; the epochs used are collected for the note.
 */
function assumingAdvisoryEpoch(cmp: VersionComparator, installed: string, used: Set<string>): VersionComparator {
  const withEpochOf = (other: string): string => {
    const epoch = EPOCH.exec(other)?.[1] ?? '0';
    used.add(epoch);
    return `${epoch}:${installed}`;
  };
  return {
    ecosystems: cmp.ecosystems,
    isValid: cmp.isValid,
    compare: (a, b) => {
      if (a === installed && b !== installed) return cmp.compare(withEpochOf(b), b);
      if (b === installed && a !== installed) return cmp.compare(a, withEpochOf(a));
      return cmp.compare(a, b);
    },
  };
}

function epochNote(epochs: Set<string>): string {
  const list = [...epochs].sort();
  return `epoch not in the inventory: taken as the advisory's (${list.length ? list.join(', ') : '0'})`;
}
