import type { ParsedInventory } from '../inventory/model.ts';
import { distroFromQualifier } from '../inventory/purl.ts';

/** The distribution an SBOM says its packages come from, as os-release ID and VERSION_ID. */
export interface SbomDistro {
  id: string;
  versionId: string;
  evidence: string;
}

/** An SBOM's packages, plus the distribution when the SBOM names one. */
export type SbomInventory = ParsedInventory & { distro?: SbomDistro };

// Display names some generators write instead of the os-release ID.
const NAME_TO_ID: Record<string, string> = {
  'alpine linux': 'alpine',
  'debian gnu/linux': 'debian',
  'red hat enterprise linux': 'rhel',
  redhat: 'rhel',
  'rocky linux': 'rocky',
  'almalinux os': 'almalinux',
  'opensuse leap': 'opensuse-leap',
};

/** An operating-system entry's name as an os-release ID ('Alpine Linux' → 'alpine'), or undefined. */
export function osNameToId(name: string): string | undefined {
  const lower = name.trim().toLowerCase();
  const id = Object.hasOwn(NAME_TO_ID, lower) ? NAME_TO_ID[lower] : lower;
  return id !== undefined && /^[a-z0-9][a-z0-9._-]*$/.test(id) ? id : undefined;
}

/**
 * Counts purl `distro` qualifiers; the most frequent readable one (`alpine-3.16.2`) names the
 * distribution when the SBOM has no operating-system entry. Codenames (`bionic`) are not read.
 */
export class DistroQualifiers {
  private readonly counts = new Map<string, number>();

  add(distro: string | undefined): void {
    if (distro !== undefined) this.counts.set(distro, (this.counts.get(distro) ?? 0) + 1);
  }

  best(): SbomDistro | undefined {
    let best: [string, number, { id: string; versionId: string }] | undefined;
    for (const [value, count] of this.counts) {
      const parsed = distroFromQualifier(value);
      if (parsed && (!best || count > best[1])) best = [value, count, parsed];
    }
    if (!best) return undefined;
    return { ...best[2], evidence: `purl distro qualifier ${best[0]} (on ${best[1]} package(s))` };
  }
}
