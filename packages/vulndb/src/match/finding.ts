import type { Cvss, Severity } from './severity.ts';

export const FIX_STATES = ['fixed', 'not_fixed', 'wont_fix', 'unknown'] as const;
export type FixState = (typeof FIX_STATES)[number];

/**
 * One vulnerability affecting one installed package at one version, after alias folding: the
 * unit a user acts on. `match` is the one line that lets them check it without trusting us.
 */
export interface Finding {
  /** The installed package's ecosystem, with release for OS packages ('Ubuntu:18.04:LTS'). */
  ecosystem: string;
  package: string;
  /** The source package advisories are keyed by (OS packages), null for language packages. */
  sourcePackage: string | null;
  version: string;
  id: string;
  aliases: string[];
  /**
   * The ids and aliases of the records folded into this finding: what it *is*. `aliases` also
   * lists CVEs a distribution advisory only names (Ubuntu's upstream, AlmaLinux's related), which
   * it fixes together but which are other vulnerabilities.
   */
  recordIds?: string[];
  fixedVersion: string | null;
  fixState: FixState;
  severity: Severity;
  cvss: Cvss | null;
  summary: string;
  match: string;
  /** Where the package was found, one entry per occurrence. */
  locations: FindingLocation[];
}

export interface FindingLocation {
  /** The inventory file (or directory, for a WordPress root). */
  path: string;
  /** Where in it, as the parser names it (`node_modules/lodash`, `line 1042`), when known. */
  detail?: string;
}
