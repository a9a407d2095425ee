import { COMPARATORS } from './all.ts';
import type { VersionComparator } from './comparator.ts';

export class UnknownEcosystemError extends Error {
  constructor(readonly ecosystem: string) {
    super(`unknown ecosystem ${JSON.stringify(ecosystem)}`);
    this.name = 'UnknownEcosystemError';
  }
}

const byName = new Map<string, VersionComparator>();
for (const comparator of COMPARATORS) for (const name of comparator.ecosystems) byName.set(name.toLowerCase(), comparator);

/** Every ecosystem name a comparator serves, for help texts and error messages. */
export const KNOWN_ECOSYSTEMS: readonly string[] = COMPARATORS.flatMap((c) => c.ecosystems).sort((a, b) => a.localeCompare(b));

/**
 * The comparator for an OSV ecosystem string. A release suffix (`Debian:12`, `Ubuntu:18.04:LTS`,
 * `Ubuntu:Pro:18.04:LTS`, `Alpine:v3.19`, `Red Hat:enterprise_linux:9`) picks the same comparator
 * as its distribution: versions compare alike across releases; which release an advisory is for
 * is the matcher's business, not the comparator's.
 */
export function comparatorFor(ecosystem: string): VersionComparator {
  const base = ecosystem.split(':')[0]?.trim().toLowerCase() ?? '';
  const comparator = byName.get(base);
  if (!comparator) throw new UnknownEcosystemError(ecosystem);
  return comparator;
}
