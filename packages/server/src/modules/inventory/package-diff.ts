import type { InventoryPackage } from '@vigil/protocol';
import type { PackageChange } from './inventory.repo.ts';
import type { StoredPackage } from './package-findings.ts';

export interface PackageDiff {
  added: StoredPackage[];
  changed: StoredPackage[];
  removed: StoredPackage[];
  changes: PackageChange[];
}

export function storedOf(p: InventoryPackage): StoredPackage {
  return {
    ecosystem: p.ecosystem,
    name: p.name,
    arch: p.arch ?? '',
    location: p.location ?? '',
    version: p.version,
    sourceName: p.source?.name ?? null,
    sourceVersion: p.source?.version ?? null,
    epochKnown: p.epochKnown ?? null,
    dev: p.dev ?? false,
  };
}

/**
 * The identity (ecosystem, name, arch, location) as a map key within one ingest: length-prefixed,
 * so it is as unambiguous as packageKeyOf's JSON (which names findings, stored) at a fraction of
 * its cost over 1,000 packages.
 */
const identityOf = (p: StoredPackage) =>
  `${p.ecosystem.length}:${p.ecosystem}${p.name.length}:${p.name}${p.arch.length}:${p.arch}${p.location}`;

/** The first package listed twice under one identity (ecosystem, name, arch, location), or null. */
export function firstDuplicate(packages: readonly StoredPackage[]): StoredPackage | null {
  const seen = new Set<string>();
  for (const p of packages) {
    const key = identityOf(p);
    if (seen.has(key)) return p;
    seen.add(key);
  }
  return null;
}

const sameInstall = (a: StoredPackage, b: StoredPackage) =>
  a.version === b.version &&
  a.sourceName === b.sourceName &&
  a.sourceVersion === b.sourceVersion &&
  a.epochKnown === b.epochKnown &&
  a.dev === b.dev;

/**
 * What changed between the packages held and the packages reported, with the history rows to
 * append. A held package missing from the report is removed, unless `unseen` says the report
 * could not have seen it (its collector failed): then it is kept as it was.
 */
export function diffPackages(
  stored: readonly StoredPackage[],
  incoming: readonly StoredPackage[],
  unseen: (ecosystem: string) => boolean = () => false,
): PackageDiff {
  const before = new Map(stored.map((p) => [identityOf(p), p]));
  const diff: PackageDiff = { added: [], changed: [], removed: [], changes: [] };
  const change = (kind: PackageChange['change'], p: StoredPackage, oldVersion: string | null, newVersion: string | null) =>
    diff.changes.push({
      change: kind,
      ecosystem: p.ecosystem,
      name: p.name,
      arch: p.arch,
      location: p.location,
      old_version: oldVersion,
      new_version: newVersion,
    });
  for (const p of incoming) {
    const key = identityOf(p);
    const old = before.get(key);
    before.delete(key);
    if (!old) {
      diff.added.push(p);
      change('added', p, null, p.version);
    } else if (!sameInstall(old, p)) {
      diff.changed.push(p);
      change('changed', p, old.version, p.version);
    }
  }
  for (const p of before.values()) {
    if (unseen(p.ecosystem)) continue;
    diff.removed.push(p);
    change('removed', p, p.version, null);
  }
  return diff;
}
