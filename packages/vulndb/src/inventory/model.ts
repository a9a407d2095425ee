/**
 * What an inventory parser reads out of one file: the packages installed, in the ecosystem whose
 * advisories and comparator apply to them. Parsers are pure (text in, packages out); finding
 * files, reading them and detecting the distribution release are the scanner's business.
 */
export interface InstalledPackage {
  /** OSV ecosystem without release: 'Debian', 'Ubuntu', 'Alpine', 'Red Hat', 'npm', 'PyPI'… */
  ecosystem: string;
  name: string;
  version: string;
  /**
   * The source package a distribution's advisories are keyed by (dpkg `Source:`, apk origin
   * `o:`, rpm source RPM), with its own version when it differs from the binary's.
   */
  source?: { name: string; version: string };
  arch?: string;
  /** rpm only: false when the inventory did not record the epoch (plain `rpm -qa`). */
  epochKnown?: boolean;
  /** Where in the file the package was found (a lockfile path, a status paragraph line). */
  location?: string;
  /** Development-only dependency, where the lockfile says so. */
  dev?: boolean;
}

export interface ParsedInventory {
  /** The format read, e.g. 'dpkg-status', 'package-lock.json'. */
  type: string;
  packages: InstalledPackage[];
  /** Entries skipped with the reason (an unreadable entry never stops the rest). */
  warnings: string[];
}

export class InventoryParseError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'InventoryParseError';
  }
}
