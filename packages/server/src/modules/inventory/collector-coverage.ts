import type { Inventory } from '@vigil/protocol';
import { baseOf, isOsEcosystem } from '@vigil/vulndb';

/** The package ecosystems each of the agent's package collectors reports (by its name). */
const COVERS: Readonly<Record<string, (ecosystem: string) => boolean>> = {
  dpkg: (e) => baseOf(e) === 'debian' || baseOf(e) === 'ubuntu',
  apk: (e) => baseOf(e) === 'alpine',
  rpm: (e) => isOsEcosystem(e) && !['debian', 'ubuntu', 'alpine'].includes(baseOf(e)),
  wordpress: (e) => e === 'WordPress',
  lockfiles: (e) => !isOsEcosystem(e) && e !== 'WordPress',
};

/**
 * Whether a stored package is beyond what this inventory could see: its ecosystem is reported by
 * a collector that failed this time (an rpm query that timed out, an unreadable status file).
 * Such a package is kept as it was rather than counted removed: a failed read is not an
 * uninstall, and treating it as one would close every finding of the ecosystem only to reopen
 * them on the next good run.
 */
export function unseenByFailedCollectors(inventory: Pick<Inventory, 'collectors'>): (ecosystem: string) => boolean {
  const failed = inventory.collectors.filter((c) => c.status === 'error').flatMap((c) => COVERS[c.name] ?? []);
  if (failed.length === 0) return () => false;
  return (ecosystem) => failed.some((covers) => covers(ecosystem));
}
