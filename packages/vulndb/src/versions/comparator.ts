/**
 * A version comparator for one ecosystem, with that ecosystem's own tool's semantics. `compare`
 * throws InvalidVersionError for a string the ecosystem cannot order: a caller must see that,
 * never a silent guess that could hide a vulnerability or invent one.
 */
export interface VersionComparator {
  /** The OSV ecosystem name(s) this comparator serves, e.g. 'Debian', 'npm'. */
  readonly ecosystems: readonly string[];
  /** -1, 0 or 1 as `a` sorts before, equal to or after `b`. */
  compare(a: string, b: string): -1 | 0 | 1;
  /** Whether `version` can be ordered (compare would not throw for it). */
  isValid(version: string): boolean;
}

export class InvalidVersionError extends Error {
  constructor(
    readonly ecosystem: string,
    readonly version: string,
    readonly reason: string,
  ) {
    super(`invalid ${ecosystem} version ${JSON.stringify(version.length > 80 ? `${version.slice(0, 80)}…` : version)}: ${reason}`);
    this.name = 'InvalidVersionError';
  }
}

export function sign(n: number): -1 | 0 | 1 {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}
