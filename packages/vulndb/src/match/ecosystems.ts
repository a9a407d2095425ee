import { pep503 } from '../inventory/lockfile-common.ts';

/**
 * Which advisories apply to which installed packages, decided by ecosystem string alone. OS
 * packages only ever meet advisories of their own distribution and release; a language package
 * meets its ecosystem's advisories whatever suffix an advisory database adds. No fuzzy name or CPE
 * guessing happens anywhere: a package is looked up by its exact (normalised) name.
 */

/** Distributions whose advisories are per release: the release is part of the key. */
const RELEASED = new Set([
  'debian',
  'ubuntu',
  'alpine',
  'red hat',
  'rocky linux',
  'almalinux',
  'fedora',
  'opensuse',
  'suse',
  'mageia',
  'openeuler',
]);

export function isOsEcosystem(ecosystem: string): boolean {
  return RELEASED.has(baseOf(ecosystem));
}

export function baseOf(ecosystem: string): string {
  const colon = ecosystem.indexOf(':');
  return (colon < 0 ? ecosystem : ecosystem.slice(0, colon)).trim().toLowerCase();
}

/**
 * The key an ecosystem string is indexed under, or null for an OS ecosystem without a release
 * (such an advisory cannot be placed, and such a package cannot be matched).
 *
 * - Ubuntu: `LTS` is dropped (`Ubuntu:18.04:LTS` and `Ubuntu:18.04` are one release); `Pro` is
 *   kept, since ESM fixes need a subscription (`Ubuntu:Pro:18.04:LTS` → `ubuntu:pro:18.04`).
 * - Debian: the major release (`Debian:12`, `Debian:12.4` → `debian:12`).
 * - Alpine: `v3.16`, with or without the `v`, patch level dropped.
 * - Red Hat: product and release only (`Red Hat:enterprise_linux:9::appstream` →
 *   `red hat:enterprise_linux:9`); repositories of one release share the key.
 * - Other distributions: the whole string, lowercased.
 * - Language ecosystems: the name alone (`npm`, `pypi`); suffixes some databases add are ignored.
 */
export function ecosystemKey(ecosystem: string): string | null {
  const parts = ecosystem.split(':').map((p) => p.trim());
  const base = (parts[0] ?? '').toLowerCase();
  if (!RELEASED.has(base)) return base;
  const rest = parts.slice(1).filter((p) => p !== '');
  if (rest.length === 0) return null;
  switch (base) {
    case 'ubuntu': {
      const release = rest.filter((p) => p.toLowerCase() !== 'lts').map((p) => p.toLowerCase());
      return release.length > 0 ? `ubuntu:${release.join(':')}` : null;
    }
    case 'debian':
      return `debian:${(rest[0] ?? '').split('.')[0]}`;
    case 'alpine': {
      const m = /^v?(\d+)\.(\d+)/.exec(rest[0] ?? '');
      return m ? `alpine:v${m[1]}.${m[2]}` : `alpine:${(rest[0] ?? '').toLowerCase()}`;
    }
    case 'red hat':
      return `red hat:${rest.slice(0, 2).join(':').toLowerCase()}`;
    default:
      return `${base}:${rest.join(':').toLowerCase()}`;
  }
}

/**
 * The keys whose advisories apply to a system of `ecosystem`: its own, and for an Ubuntu Pro
 * system also the plain release's (Pro adds fixes; it does not remove the public ones).
 */
export function applicableKeys(ecosystem: string): string[] {
  const key = ecosystemKey(ecosystem);
  if (key === null) return [];
  if (key.startsWith('ubuntu:pro:')) return [key, `ubuntu:${key.slice('ubuntu:pro:'.length)}`];
  return [key];
}

/** Package names as each ecosystem's registry compares them. */
export function normaliseName(ecosystem: string, name: string): string {
  switch (baseOf(ecosystem)) {
    case 'pypi':
      return pep503(name);
    case 'packagist':
    case 'nuget':
    case 'wordpress':
    case 'hex':
      return name.toLowerCase();
    default:
      return name;
  }
}
