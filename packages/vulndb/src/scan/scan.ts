import type { AdvisoryIndex } from '../match/advisory-index.ts';
import { isOsEcosystem } from '../match/ecosystems.ts';
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
 * The source packages installed per distribution, as the advisory readers' package filter: a
 * distribution feed (the Debian tracker) is converted only for packages a scan can match.
 */
export function installedSourcesOf(sources: readonly InventorySource[]): (ecosystem: string, name: string) => boolean {
  const byBase = new Map<string, Set<string>>();
  for (const source of sources) {
    for (const pkg of source.packages) {
      if (!isOsEcosystem(pkg.ecosystem)) continue;
      const base = pkg.ecosystem.toLowerCase();
      let names = byBase.get(base);
      if (!names) {
        names = new Set();
        byBase.set(base, names);
      }
      names.add(pkg.source?.name ?? pkg.name);
    }
  }
  return (ecosystem, name) => byBase.get(ecosystem.toLowerCase())?.has(name) ?? false;
}
