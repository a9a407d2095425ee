import type { InventoryPackage } from '@vigil/protocol';
import type { InstalledPackage } from '@vigil/vulndb';
import type { CollectContext } from './context.ts';

/**
 * An OS package in the inventory's shape. The parser's `location` (a line number in the database)
 * is dropped: it moves whenever any package is installed, and the server keys OS packages by name.
 */
export function toInventoryPackage(p: InstalledPackage): InventoryPackage {
  return {
    ecosystem: p.ecosystem,
    name: p.name,
    version: p.version,
    ...(p.source ? { source: { name: p.source.name, version: p.source.version } } : {}),
    ...(p.arch ? { arch: p.arch } : {}),
    ...(p.epochKnown !== undefined ? { epochKnown: p.epochKnown } : {}),
  };
}

/** What an architecture name looks like (amd64, x86_64, armhf, ppc64le): anything else is not one. */
const ARCH = /^[A-Za-z0-9_.+-]{1,32}$/;

/**
 * The machine's architecture as its package manager names it: the architecture of the package
 * manager's own package (dpkg, apk-tools, rpm), else the most common one that is not `all`/`noarch`.
 */
export function nativeArch(packages: readonly InstalledPackage[], manager: string): string | null {
  const usable = (arch: string | undefined): arch is string => arch !== undefined && arch !== 'all' && arch !== 'noarch' && ARCH.test(arch);
  const own = packages.find((p) => p.name === manager)?.arch;
  if (usable(own)) return own;
  const counts = new Map<string, number>();
  for (const p of packages) if (usable(p.arch)) counts.set(p.arch, (counts.get(p.arch) ?? 0) + 1);
  let best: string | null = null;
  let most = 0;
  for (const [arch, n] of [...counts].sort(([a], [b]) => (a < b ? -1 : 1))) if (n > most) [best, most] = [arch, n];
  return best;
}

/** Records what a package database tells about the host, without overriding os-release. */
export function noteOsPackages(
  ctx: CollectContext,
  packages: readonly InstalledPackage[],
  manager: string,
  ecosystem: string | null,
): void {
  for (const p of packages) ctx.osPackageNames.add(p.name);
  ctx.host.arch ??= nativeArch(packages, manager);
  if (ecosystem && ctx.host.os && ctx.host.os.ecosystem === null) ctx.host.os.ecosystem = ecosystem;
  if (ecosystem && !ctx.host.os) {
    const [base = '', release = null] = ecosystem.split(':');
    ctx.host.os = { id: base.toLowerCase(), versionId: release?.replace(/^v/, '') ?? null, prettyName: null, ecosystem };
  }
}
