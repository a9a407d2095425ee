import type { AdvisoryIndex } from '../match/advisory-index.ts';
import { baseOf, isOsEcosystem, normaliseName } from '../match/ecosystems.ts';
import type { Finding } from '../match/finding.ts';
import { compareFindings, MissingReleaseError, matchPackages } from '../match/matcher.ts';
import type { InventorySource } from './inventories.ts';
import { ScanInputError } from './read-file.ts';

export interface ScanMatches {
  findings: Finding[];
  /** Per-source warnings from matching (unreadable versions, advisories that cannot be evaluated). */
  warnings: string[];
}

/**
 * Matches every source against the index. The same package at the same version found in two
 * inventories (two lockfiles, a root and an SBOM of it) is one finding with both locations.
 */
export function matchSources(sources: readonly InventorySource[], index: AdvisoryIndex): ScanMatches {
  const merged = new Map<string, Finding>();
  const warnings: string[] = [];
  for (const source of sources) {
    let result: ReturnType<typeof matchPackages>;
    try {
      result = matchPackages(source.packages, index, { osEcosystem: source.osEcosystem, origin: source.path });
    } catch (error) {
      if (error instanceof MissingReleaseError) throw new ScanInputError(source.path, error.message);
      throw error;
    }
    for (const warning of result.warnings) warnings.push(`${source.path}: ${warning}`);
    for (const finding of result.findings) {
      const key = [finding.ecosystem, finding.package, finding.version, finding.id].join('\u0000');
      const seen = merged.get(key);
      if (seen) seen.locations.push(...finding.locations);
      else merged.set(key, { ...finding, locations: [...finding.locations] });
    }
  }
  return { findings: [...merged.values()].sort(compareFindings), warnings };
}

/** The ecosystems a scan needs advisories for: each OS inventory's release, each package's ecosystem. */
export function ecosystemsOf(sources: readonly InventorySource[]): Set<string> {
  const out = new Set<string>();
  for (const source of sources) {
    if (source.osEcosystem) out.add(source.osEcosystem);
    for (const pkg of source.packages) if (!isOsEcosystem(pkg.ecosystem)) out.add(pkg.ecosystem);
  }
  return out;
}

/**
 * The (ecosystem, name) pairs a scan can match, as a predicate for the advisory readers: a record
 * that names none of them can never become a finding, so it is not kept (and a distribution feed
 * such as the Debian tracker is not even converted for other packages). OS packages count under
 * their source name and their own (rpm advisories name binaries); names are normalised as the
 * index normalises them.
 */
export function installedNamesOf(sources: readonly InventorySource[]): (ecosystem: string, name: string) => boolean {
  const byBase = new Map<string, Set<string>>();
  const add = (ecosystem: string, name: string) => {
    const base = baseOf(ecosystem);
    let names = byBase.get(base);
    if (!names) {
      names = new Set();
      byBase.set(base, names);
    }
    names.add(normaliseName(ecosystem, name));
  };
  for (const source of sources) {
    for (const pkg of source.packages) {
      // An OS package is matched against its system's release (a Red Hat rpm on AlmaLinux).
      const ecosystem = isOsEcosystem(pkg.ecosystem) ? (source.osEcosystem ?? pkg.ecosystem) : pkg.ecosystem;
      add(ecosystem, pkg.name);
      if (pkg.source) add(ecosystem, pkg.source.name);
    }
  }
  return (ecosystem, name) => byBase.get(baseOf(ecosystem))?.has(normaliseName(ecosystem, name)) ?? false;
}
